import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitlabLogin, type FakeGitlabLogin } from '../helpers/fake-gitlab-login.js';
import { ADMIN_TOKEN, startTestService, type TestService } from '../helpers/test-service.js';
import { appendLog, insertPipeline } from '../helpers/web-fixtures.js';
import { freePort, loginWithGitlab, postForm, sessionWith, type WebSession } from '../helpers/web-session.js';

const READER = { id: 10, username: 'rita-reader' };
const WRITER = { id: 11, username: 'dev-dora' };
const GUEST = { id: 12, username: 'guest-gus' };
const SECRET_LOG = 'the secret project printed this';

describe('the web UI behind GitLab’s permissions', () => {
  let fake: FakeGitlabLogin;
  let lab: TestService;
  let base: string;
  let app: { id: number; jobIds: number[]; sha: string };
  let secret: { id: number; jobIds: number[] };
  let open: { id: number };
  let reader: WebSession;
  let writer: WebSession;

  beforeAll(async () => {
    fake = await startFakeGitlabLogin();
    fake.projects.set(101, { visibility: 'private', members: new Map([[READER.id, 20], [WRITER.id, 30], [GUEST.id, 10]]) });
    fake.projects.set(102, { visibility: 'private', members: new Map([[WRITER.id, 40]]) });
    fake.projects.set(103, { visibility: 'public', members: new Map() });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    lab = await startTestService(
      { PORT: String(port), PUBLIC_URL: base, GITLAB_URL: fake.url, GITLAB_OAUTH_CLIENT_ID: fake.clientId, GITLAB_OAUTH_CLIENT_SECRET: fake.clientSecret },
      { workers: false, deploys: false, livePollMs: 100 },
    );
    app = await insertPipeline(lab.db, { project: 'group/app', projectId: 101, status: 'queued', jobs: [{ name: 'test', log: 'app log line\n' }] });
    secret = await insertPipeline(lab.db, { project: 'group/secret', projectId: 102, status: 'passed', jobs: [{ name: 'test', status: 'passed', log: `${SECRET_LOG}\n` }] });
    open = await insertPipeline(lab.db, { project: 'group/open', projectId: 103, status: 'failed', jobs: [{ name: 'lint', status: 'failed' }] });
    reader = await loginWithGitlab(base, fake, READER);
    writer = await loginWithGitlab(base, fake, WRITER);
  });
  afterAll(async () => {
    await lab?.stop();
    fake?.close();
  });

  it('answers every page and API route 401 without a login, and never with the data', async () => {
    const job = secret.jobIds[0];
    const reads = [
      '/', '/api/projects', '/projects/gitlab/group%2Fsecret', '/api/projects/gitlab/group%2Fsecret/pipelines', `/pipelines/${secret.id}`, `/api/pipelines/${secret.id}`,
      `/pipelines/${secret.id}/jobs/${job}/log`, `/pipelines/${secret.id}/events`, `/pipelines/${secret.id}/jobs/${job}/artifacts`, '/environments', '/api/environments', '/tokens',
    ];
    const writes = [`/pipelines/${secret.id}/retry`, `/pipelines/${secret.id}/cancel`, `/api/pipelines/${secret.id}/retry`, `/api/pipelines/${secret.id}/cancel`, '/tokens', '/logout'];
    const answers = [
      ...(await Promise.all(reads.map(async (path) => ({ path, response: await fetch(`${base}${path}`) })))),
      ...(await Promise.all(writes.map(async (path) => ({ path, response: await fetch(`${base}${path}`, { method: 'POST', body: 'csrf=x' }) })))),
      // A token that is not one, and a session cookie that is not one, are nobody too.
      { path: 'bad token', response: await fetch(`${base}/api/projects`, { headers: { authorization: 'Bearer slp_not-a-token' } }) },
      { path: 'bad cookie', response: await fetch(`${base}/api/projects`, { headers: { cookie: 'slipway_session=forged' } }) },
    ];

    for (const { path, response } of answers) {
      const body = await response.text();
      expect([path, response.status]).toEqual([path, 401]);
      expect(body).not.toContain(SECRET_LOG);
      expect(body).not.toContain('group/secret');
    }
    const page = await fetch(`${base}/`);
    expect(await page.text()).toContain('Log in with GitLab');
    expect((await fetch(`${base}/api/projects`)).headers.get('content-type')).toContain('application/json');
  });

  it('starts a session only for a login that began here, in an HttpOnly SameSite cookie', async () => {
    const start = await fetch(`${base}/login/gitlab`, { redirect: 'manual' });
    const authorize = new URL(start.headers.get('location')!);
    const atForge = await fetch(authorize, { redirect: 'manual' });
    const callback = atForge.headers.get('location')!;

    const noCookie = await fetch(callback, { redirect: 'manual' });
    const otherState = await fetch(callback, { redirect: 'manual', headers: { cookie: 'slipway_login_state=forged-state./' } });
    const refusedCode = await fetch(`${base}/login/gitlab/callback?code=never-issued&state=s`, { redirect: 'manual', headers: { cookie: 'slipway_login_state=s./' } });

    expect(authorize.origin).toBe(fake.url);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${base}/login/gitlab/callback`);
    expect(authorize.searchParams.get('scope')).toBe('read_user');
    expect(start.headers.getSetCookie()[0]).toMatch(/^slipway_login_state=[^;]+; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax$/);
    for (const refused of [noCookie, otherState]) {
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({ error: 'this login did not start here (its state does not match): start again at /login' });
      expect(refused.headers.getSetCookie().some((cookie) => cookie.startsWith('slipway_session='))).toBe(false);
    }
    expect(refusedCode.status).toBe(401);
    expect(await refusedCode.json()).toEqual({ error: 'GitLab did not confirm who you are; start again at /login' });
    expect(reader.cookie).toMatch(/^slipway_session=[A-Za-z0-9_-]{40,}$/);
    await lab.db.query(`INSERT INTO web_sessions (token_hash, forge, user_id, login, csrf, expires_at) VALUES ('\\x00', 'gitlab', '1', 'long-gone', 'x', now() - interval '3 days')`);
    await loginWithGitlab(base, fake, READER);
    expect((await lab.db.query(`SELECT count(*)::int AS n FROM web_sessions WHERE login = 'long-gone'`)).rows[0].n).toBe(0);
    const kept = await lab.db.query<{ login: string; user_id: string }>('SELECT login, user_id FROM web_sessions WHERE login = $1', [READER.username]);
    expect(kept.rows[0]).toEqual({ login: READER.username, user_id: String(READER.id) });
  });

  it('shows each person only the projects GitLab lets them read; another project’s pipeline is not found', async () => {
    const projectsOf = async (session: WebSession) =>
      ((await (await fetch(`${base}/api/projects`, { headers: session.headers() })).json()) as { projects: Array<{ project: string }> }).projects.map((each) => each.project);
    const guest = await loginWithGitlab(base, fake, GUEST);
    const hidden = await fetch(`${base}/pipelines/${secret.id}`, { headers: reader.headers() });
    const missing = await fetch(`${base}/pipelines/99999999`, { headers: reader.headers() });
    const hiddenLog = await fetch(`${base}/pipelines/${secret.id}/jobs/${secret.jobIds[0]}/log`, { headers: reader.headers() });
    const hiddenProject = await fetch(`${base}/projects/gitlab/group%2Fsecret`, { headers: reader.headers() });
    const home = await (await fetch(`${base}/`, { headers: reader.headers() })).text();

    // The most lately active first: group/open ran last.
    expect(await projectsOf(reader)).toEqual(['group/open', 'group/app']);
    expect(await projectsOf(writer)).toEqual(['group/open', 'group/secret', 'group/app']);
    expect(await projectsOf(guest)).toEqual(['group/open']);
    expect([hidden.status, await hidden.json()]).toEqual([404, { error: `there is no pipeline #${secret.id}` }]);
    expect([missing.status, await missing.json()]).toEqual([404, { error: 'there is no pipeline #99999999' }]);
    expect(hiddenLog.status).toBe(404);
    expect(await hiddenLog.text()).not.toContain(SECRET_LOG);
    expect(hiddenProject.status).toBe(404);
    expect(home).toContain('group/app');
    expect(home).not.toContain('group/secret');
    const log = await fetch(`${base}/pipelines/${secret.id}/jobs/${secret.jobIds[0]}/log`, { headers: writer.headers() });
    expect(await log.text()).toBe(`${SECRET_LOG}\n`);
  });

  it('sends pages that run no inline script and load nothing from elsewhere', async () => {
    const running = await insertPipeline(lab.db, { project: 'group/app', projectId: 101, status: 'running', ref: 'feature/csp', jobs: [{ name: 'test', status: 'running', log: '<script>alert(1)</script>\n' }] });
    const response = await fetch(`${base}/pipelines/${running.id}`, { headers: reader.headers() });
    const page = await response.text();
    const script = await fetch(`${base}/assets/live.js`);

    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self'; .*frame-ancestors 'none'$/);
    expect([...page.matchAll(/<script[^>]*>/g)].map((tag) => tag[0])).toEqual([`<script src="/assets/live.js" data-events="/pipelines/${running.id}/events" data-cursor="${running.jobIds[0]}:0" defer>`]);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(await script.text()).toContain('new EventSource(');
  });

  it('asks GitLab about a person and a project once a minute, not on every view', async () => {
    const someone = await loginWithGitlab(base, fake, { id: 77, username: 'new-nora' });
    const before = fake.membershipQuestions;
    for (let view = 0; view < 4; view += 1) await fetch(`${base}/pipelines/${app.id}`, { headers: someone.headers() });
    expect(fake.membershipQuestions - before).toBe(1);
  });

  it('refuses a reader’s retry, and any POST without the CSRF token, changing nothing', async () => {
    const before = await lab.db.query('SELECT count(*)::int AS n FROM pipelines');
    const readerRetry = await postForm(base, `/pipelines/${open.id}/retry`, reader);
    const noToken = await postForm(base, `/pipelines/${app.id}/cancel`, writer, {}, false);
    const wrongToken = await postForm(base, `/pipelines/${app.id}/cancel`, writer, { csrf: 'not-the-token' }, false);
    const apiNoToken = await fetch(`${base}/api/pipelines/${open.id}/retry`, { method: 'POST', headers: writer.headers() });
    const after = await lab.db.query('SELECT count(*)::int AS n FROM pipelines');
    const status = await lab.db.query('SELECT status, cancel_requested FROM pipelines WHERE id = $1', [app.id]);

    // A browser's form is answered with a page that says why and leads back.
    expect([readerRetry.status, readerRetry.headers.get('content-type')]).toEqual([403, 'text/html; charset=utf-8']);
    const refusal = await readerRetry.text();
    expect(refusal).toContain('<p class="error">you may read group/open but not retry its pipelines: that takes write access on gitlab</p>');
    expect(refusal).toContain(`<a href="/pipelines/${open.id}">Back to pipeline #${open.id}</a>`);
    for (const refused of [noToken, wrongToken, apiNoToken]) {
      expect([refused.status, await refused.json()]).toEqual([403, { error: 'this request has no valid CSRF token: reload the page and try again' }]);
    }
    expect(after.rows[0].n).toBe(before.rows[0].n);
    expect(status.rows[0]).toEqual({ status: 'queued', cancel_requested: false });
  });

  it('lets a developer cancel a pipeline and retry it; a pipeline still running is not retried', async () => {
    const running = await insertPipeline(lab.db, { project: 'group/app', projectId: 101, status: 'running', ref: 'feature/y', jobs: [{ name: 'test', status: 'running' }] });
    const retryRunning = await postForm(base, `/pipelines/${running.id}/retry`, writer);
    const cancel = await postForm(base, `/pipelines/${app.id}/cancel`, writer);
    const canceled = (await lab.db.query('SELECT status, cancel_reason FROM pipelines WHERE id = $1', [app.id])).rows[0];
    const cancelAgain = await postForm(base, `/pipelines/${app.id}/cancel`, writer);
    const retry = await postForm(base, `/pipelines/${app.id}/retry`, writer);
    const retriedId = Number(/\/pipelines\/(\d+)$/.exec(retry.headers.get('location') ?? '')?.[1]);
    const retried = (await lab.db.query('SELECT project, sha, ref, status, event FROM pipelines WHERE id = $1', [retriedId])).rows[0];

    expect(retryRunning.status).toBe(409);
    expect(await retryRunning.text()).toContain(`<p class="error">pipeline #${running.id} has not finished: cancel it first, or wait for it</p>`);
    expect([cancel.status, cancel.headers.get('location')]).toEqual([303, `/pipelines/${app.id}`]);
    expect(canceled).toEqual({ status: 'canceled', cancel_reason: `canceled by ${WRITER.username} (gitlab)` });
    expect(cancelAgain.status).toBe(409);
    expect(retry.status).toBe(303);
    expect(retriedId).toBeGreaterThan(app.id);
    expect(retried).toEqual({ project: 'group/app', sha: app.sha, ref: 'main', status: 'queued', event: 'retry' });
  });

  it('shows Play to a developer and not to a reader, refuses a reader’s play, and plays, runs now or unschedules for a developer', async () => {
    const paused = await insertPipeline(lab.db, {
      project: 'group/app',
      projectId: 101,
      status: 'scheduled',
      ref: 'feature/waits',
      jobs: [{ name: 'approve', status: 'manual' }, { name: 'canary', status: 'scheduled' }, { name: 'later', status: 'scheduled' }],
    });
    await lab.db.query(`UPDATE jobs SET scheduled_at = now() + interval '1 hour' WHERE pipeline_id = $1 AND status = 'scheduled'`, [paused.id]);
    const [approve, canary, later] = paused.jobIds;
    const readerPage = await (await fetch(`${base}/pipelines/${paused.id}`, { headers: reader.headers() })).text();
    const writerPage = await (await fetch(`${base}/pipelines/${paused.id}`, { headers: writer.headers() })).text();
    const readerPlay = await postForm(base, `/pipelines/${paused.id}/jobs/${approve}/play`, reader);

    expect(readerPage).not.toContain('>Play approve</button>');
    expect(writerPage).toContain(`<button class="action" id="play-${approve}">Play approve</button>`);
    expect(writerPage).toContain(`<button class="action" id="play-${canary}">Run now</button>`);
    expect(writerPage).toContain(`<button class="action" id="unschedule-${canary}">Unschedule</button>`);
    expect(writerPage).toMatch(/starts at <time datetime="[^"]+">[^<]+ UTC<\/time> <span data-countdown="[^"]+"><\/span>/);
    expect(readerPlay.status).toBe(403);
    expect(await readerPlay.text()).toContain('<p class="error">you may read group/app but not play its jobs: that takes write access on gitlab</p>');

    const unschedule = await postForm(base, `/pipelines/${paused.id}/jobs/${later}/unschedule`, writer);
    const runNow = await postForm(base, `/pipelines/${paused.id}/jobs/${canary}/play`, writer);
    const play = await postForm(base, `/pipelines/${paused.id}/jobs/${approve}/play`, writer);
    const jobs = (await lab.db.query('SELECT name, status, played_by FROM jobs WHERE pipeline_id = $1 ORDER BY position', [paused.id])).rows;

    expect([unschedule.status, unschedule.headers.get('location')]).toEqual([303, `/pipelines/${paused.id}#job-${later}`]);
    expect([runNow.status, play.status]).toEqual([303, 303]);
    expect(jobs).toEqual([
      { name: 'approve', status: 'pending', played_by: `${WRITER.username} (gitlab)` },
      { name: 'canary', status: 'pending', played_by: `${WRITER.username} (gitlab)` },
      { name: 'later', status: 'manual', played_by: null },
    ]);
    expect((await lab.db.query('SELECT status FROM pipelines WHERE id = $1', [paused.id])).rows[0]).toEqual({ status: 'queued' });
  });

  it('gives scripts personal tokens that act as their maker, which cannot make more, until revoked', async () => {
    const made = await fetch(`${base}/tokens`, {
      method: 'POST',
      headers: reader.headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }),
      body: new URLSearchParams({ label: 'nightly report', csrf: reader.csrf }).toString(),
    });
    const { id, token } = (await made.json()) as { id: number; token: string };
    const bearer = { authorization: `Bearer ${token}` };
    const projects = (await (await fetch(`${base}/api/projects`, { headers: bearer })).json()) as { projects: Array<{ project: string }> };
    const hidden = await fetch(`${base}/api/pipelines/${secret.id}`, { headers: bearer });
    const more = await fetch(`${base}/tokens`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' }, body: 'label=another' });
    const noLabel = await postForm(base, '/tokens', reader, { label: '  ' });
    const stored = await lab.db.query('SELECT token_hash FROM api_tokens WHERE id = $1', [id]);
    const revoked = await postForm(base, `/tokens/${id}/revoke`, reader);
    const afterRevoke = await fetch(`${base}/api/projects`, { headers: bearer });

    expect(made.status).toBe(201);
    expect(token).toMatch(/^slp_[A-Za-z0-9_-]{43}$/);
    expect(projects.projects.map((each) => each.project).sort()).toEqual(['group/app', 'group/open']);
    expect(hidden.status).toBe(404);
    expect([more.status, await more.json()]).toEqual([403, { error: 'tokens are made from a logged-in browser session, at /tokens' }]);
    expect([noLabel.status, await noLabel.json()]).toEqual([400, { error: 'give the token a label of 1 to 100 characters (what script it is for)' }]);
    expect((stored.rows[0].token_hash as Buffer).toString('utf8')).not.toContain(token.slice(4));
    expect(revoked.status).toBe(303);
    expect(afterRevoke.status).toBe(401);
  });

  it('refuses a bad filter by name, and pages a project’s pipelines by branch, status and merge request', async () => {
    for (let n = 0; n < 27; n += 1) await insertPipeline(lab.db, { project: 'group/open', projectId: 103, status: n % 2 ? 'passed' : 'failed', ref: n < 3 ? 'feature/x' : 'main', changeRequest: n < 3 ? 7 : undefined });
    const list = async (query: string) =>
      (await (await fetch(`${base}/api/projects/gitlab/group%2Fopen/pipelines${query}`, { headers: reader.headers() })).json()) as { pipelines: Array<{ id: number; ref: string; status: string }>; next: number | null };
    const first = await list('');
    const second = await list(`?before=${first.next}`);
    const feature = await list('?ref=feature%2Fx');
    const searched = await list('?q=FEATURE');
    const shaOf = (await lab.db.query<{ sha: string }>('SELECT sha FROM pipelines WHERE id = $1', [first.pipelines[0]!.id])).rows[0]!.sha;
    const bySha = await list(`?q=${shaOf.slice(0, 7)}`);
    const mr = await list('?mr=7&status=failed');
    const bad = await fetch(`${base}/api/projects/gitlab/group%2Fopen/pipelines?status=bogus`, { headers: reader.headers() });
    const badPage = await fetch(`${base}/api/projects/gitlab/group%2Fopen/pipelines?before=-3`, { headers: reader.headers() });

    expect(first.pipelines).toHaveLength(25);
    expect(second.pipelines.length).toBe(3);
    expect(Math.max(...second.pipelines.map((each) => each.id))).toBeLessThan(Math.min(...first.pipelines.map((each) => each.id)));
    expect(feature.pipelines.map((each) => each.ref)).toEqual(['feature/x', 'feature/x', 'feature/x']);
    // A search finds part of a branch name, whatever its case, or the start of a commit's SHA.
    expect(searched.pipelines.map((each) => each.ref)).toEqual(['feature/x', 'feature/x', 'feature/x']);
    expect(bySha.pipelines.map((each) => each.id)).toContain(first.pipelines[0]!.id);
    expect(bySha.pipelines.every((each) => (each as { sha?: string }).sha?.startsWith(shaOf.slice(0, 7)))).toBe(true);
    expect(mr.pipelines.map((each) => each.status)).toEqual(['failed', 'failed']);
    expect([bad.status, await bad.json()]).toEqual([400, { error: 'status must be one of queued, running, blocked, scheduled, passed, failed, canceled, error, skipped' }]);
    expect([badPage.status, await badPage.json()]).toEqual([400, { error: 'before must be a positive whole number' }]);
  });

  it('streams a running job’s new log lines, and after a reconnect only the lines missed', async () => {
    const running = await insertPipeline(lab.db, { project: 'group/app', projectId: 101, status: 'running', jobs: [{ name: 'test', status: 'running', log: 'first\n' }] });
    const job = running.jobIds[0]!;
    const controller = new AbortController();
    const stream = await fetch(`${base}/pipelines/${running.id}/events?cursor=${job}:0`, { headers: reader.headers(), signal: controller.signal });
    const reader$ = stream.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += new TextDecoder().decode((await reader$.read()).value);
    };
    await appendLog(lab.db, job, '\u001b[32msecond\u001b[0m <b>\n');
    await readUntil('second');
    controller.abort();
    const lastId = [...text.matchAll(/^id: (.*)$/gm)].at(-1)![1]!;
    await appendLog(lab.db, job, 'third\n');
    await lab.db.query("UPDATE pipelines SET status = 'passed', finished_at = now() WHERE id = $1", [running.id]);
    const resumed = await (await fetch(`${base}/pipelines/${running.id}/events`, { headers: reader.headers({ 'last-event-id': lastId }) })).text();

    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(text).not.toContain('first');
    expect(text).toContain('<span style=\\"color:#0A0\\">second</span> &lt;b&gt;');
    expect(lastId).toBe(`${job}:1`);
    expect(resumed).not.toContain('second');
    expect(resumed).toContain('"html":"third"');
    expect(resumed).toMatch(/event: end\ndata: \{"status":"passed"\}/);
  });

  it('lets the admin in with the token, through a form or as a bearer', async () => {
    const wrong = await fetch(`${base}/login/admin`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=nope' });
    const right = await fetch(`${base}/login/admin`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN_TOKEN}&next=/environments` });
    const admin = await sessionWith(base, right.headers.getSetCookie()[0]!.split(';')[0]!);
    const projects = (await (await fetch(`${base}/api/projects`, { headers: admin.headers() })).json()) as { projects: Array<{ project: string }> };
    const bearer = await fetch(`${base}/api/pipelines/${secret.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const logout = await postForm(base, '/logout', admin);
    const afterLogout = await fetch(`${base}/api/projects`, { headers: admin.headers() });

    expect([wrong.status, await wrong.json()]).toEqual([401, { error: 'that is not the admin token (SLIPWAY_ADMIN_TOKEN)' }]);
    expect([right.status, right.headers.get('location')]).toEqual([303, '/environments']);
    expect(projects.projects.map((each) => each.project).sort()).toEqual(['group/app', 'group/open', 'group/secret']);
    expect(bearer.status).toBe(200);
    expect([logout.status, logout.headers.get('location')]).toEqual([303, '/login']);
    expect(afterLogout.status).toBe(401);
  });

  it('offers Retry only where it can work: not on an older pipeline of a branch (it links the newer), nor on one of slipway run', async () => {
    const older = await insertPipeline(lab.db, { project: 'group/app', projectId: 101, status: 'failed', ref: 'feature/retry', jobs: [{ name: 'test', status: 'failed' }] });
    const newer = await insertPipeline(lab.db, { project: 'group/app', projectId: 101, status: 'failed', ref: 'feature/retry', jobs: [{ name: 'test', status: 'failed' }] });
    const local = await insertPipeline(lab.db, { project: 'group/app', projectId: 101, status: 'failed', forge: 'local', jobs: [{ name: 'test', status: 'failed' }] });
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

    const olderPage = await (await fetch(`${base}/pipelines/${older.id}`, { headers: writer.headers() })).text();
    const newerPage = await (await fetch(`${base}/pipelines/${newer.id}`, { headers: writer.headers() })).text();
    const localPage = await (await fetch(`${base}/pipelines/${local.id}`, { headers: admin })).text();
    const localRetry = await fetch(`${base}/api/pipelines/${local.id}/retry`, { method: 'POST', headers: admin });

    expect(olderPage).not.toContain('id="retry"');
    expect(olderPage).not.toContain(`id="retry-${older.jobIds[0]}"`);
    expect(olderPage).toContain(`Retry the newer <a href="/pipelines/${newer.id}">pipeline #${newer.id}</a>`);
    expect(newerPage).toContain('id="retry"');
    expect(newerPage).toContain(`id="retry-${newer.jobIds[0]}"`);
    expect(localPage).not.toContain('id="retry"');
    expect([localRetry.status, await localRetry.json()]).toEqual([409, { error: `pipeline #${local.id} ran on a machine with slipway run, from files Slipway never saw on a forge: run it again there` }]);
  });
});
