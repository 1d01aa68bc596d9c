import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/test-service.js';
import { insertPipeline } from '../helpers/web-fixtures.js';
import { freePort, sessionWith } from '../helpers/web-session.js';

describe('logging in with GitHub', () => {
  let lab: TestService;
  let base: string;
  let app: { id: number };
  let hidden: { id: number };

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    lab = await startTestService({ PORT: String(port), PUBLIC_URL: base, GITHUB_CLIENT_ID: 'Iv1.slipwaytest', GITHUB_CLIENT_SECRET: 'github-client-secret' }, { workers: false, deploys: false });
    app = await insertPipeline(lab.db, { forge: 'github', project: 'octo/app', projectId: 0, status: 'passed' });
    hidden = await insertPipeline(lab.db, { forge: 'github', project: 'octo/hidden', projectId: 0, status: 'passed' });
    await lab.db.query(`UPDATE pipelines SET forge_context = '{"installationId": 3}' WHERE forge = 'github'`);
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('sends the person to the GitHub App’s authorization with a state, and on their return asks GitHub who they are and what they may do', async () => {
    const start = await fetch(`${base}/login/github?next=/pipelines/${app.id}`, { redirect: 'manual' });
    const authorize = new URL(start.headers.get('location')!);
    const state = authorize.searchParams.get('state')!;
    const stateCookie = start.headers.getSetCookie()[0]!.split(';')[0]!;
    const github = nock('https://github.com')
      .post('/login/oauth/access_token', (body) => body.code === 'the-code' && body.client_secret === 'github-client-secret' && body.redirect_uri === `${base}/login/github/callback`)
      .reply(200, { access_token: 'ghu_usertoken', token_type: 'bearer', scope: '' });
    const api = nock('https://api.github.com')
      .get('/user')
      .matchHeader('authorization', 'token ghu_usertoken')
      .reply(200, { id: 583231, login: 'octocat' })
      .post('/app/installations/3/access_tokens')
      .reply(201, { token: 'ghs_installation', expires_at: new Date(Date.now() + 3_600_000).toISOString() })
      .get('/repos/octo/app')
      .reply(200, { private: true })
      .get('/repos/octo/app/collaborators/octocat/permission')
      .reply(200, { permission: 'write' })
      .get('/repos/octo/hidden')
      .reply(200, { private: true })
      .get('/repos/octo/hidden/collaborators/octocat/permission')
      .reply(404, { message: 'Not Found' });

    const callback = await fetch(`${base}/login/github/callback?code=the-code&state=${state}`, { redirect: 'manual', headers: { cookie: stateCookie } });
    const session = await sessionWith(base, callback.headers.getSetCookie().find((cookie) => cookie.startsWith('slipway_session='))!.split(';')[0]!);
    const projects = (await (await fetch(`${base}/api/projects`, { headers: session.headers() })).json()) as { projects: Array<{ project: string }> };
    const page = await (await fetch(`${base}/pipelines/${app.id}`, { headers: session.headers() })).text();
    const other = await fetch(`${base}/pipelines/${hidden.id}`, { headers: session.headers() });

    expect(authorize.origin + authorize.pathname).toBe('https://github.com/login/oauth/authorize');
    expect(authorize.searchParams.get('client_id')).toBe('Iv1.slipwaytest');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${base}/login/github/callback`);
    expect(state).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect([callback.status, callback.headers.get('location')]).toEqual([303, `/pipelines/${app.id}`]);
    expect([...github.pendingMocks(), ...api.pendingMocks()]).toEqual([]);
    expect(projects.projects.map((each) => each.project)).toEqual(['octo/app']);
    expect(page).toContain('Retry pipeline');
    expect(page).toContain(`href="https://github.com/octo/app/commit/`);
    expect(other.status).toBe(404);
  });

  it('keeps a `next` that leaves the site from sending anyone away after the login', async () => {
    for (const next of ['https://evil.example/', '//evil.example/', '/\\evil.example', '/\t/evil.example/', '/\n/evil.example/', '/\r\nset-cookie: x=1', '/%0a/x', '/ /evil.example']) {
      const start = await fetch(`${base}/login/github?next=${encodeURIComponent(next)}`, { redirect: 'manual' });
      const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
      nock('https://github.com').post('/login/oauth/access_token').reply(200, { access_token: 'ghu_other', token_type: 'bearer', scope: '' });
      nock('https://api.github.com').get('/user').reply(200, { id: 1, login: 'someone' });
      const callback = await fetch(`${base}/login/github/callback?code=c&state=${state}`, { redirect: 'manual', headers: { cookie: start.headers.getSetCookie()[0]!.split(';')[0]! } });
      expect([next, callback.status, callback.headers.get('location')]).toEqual([next, 303, next === '/%0a/x' ? '/%0a/x' : '/']);
    }
  });

  it('sends a login page `next` with a newline home rather than failing, and answers a callback with no state 400', async () => {
    const prompt = await fetch(`${base}/login?next=${encodeURIComponent('/\r\nset-cookie: x=1')}`);
    const noState = await fetch(`${base}/login/github/callback?code=c`, { redirect: 'manual' });

    expect(prompt.status).toBe(200);
    expect(await prompt.text()).toContain('name="next" value="/"');
    expect(noState.status).toBe(400);
  });
});
