import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeGithub, fakeGitlab, type ForgeRecord } from '../helpers/fake-forges.js';
import { githubComment, githubRerequest, gitlabNote } from '../helpers/forge-payloads.js';
import { GITLAB_URL, postGithub, postGitlab, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';
import { insertPipeline } from '../helpers/web-fixtures.js';

const REPORTER = { id: 30, username: 'rita-reader' };
const DEVELOPER = { id: 31, username: 'dev-dora' };

describe('/slipway retry and cancel in merge request comments, and GitHub’s Re-run', () => {
  let lab: TestService;
  let gitlab: ForgeRecord;
  let github: ForgeRecord;
  let failed: { id: number; sha: string };
  let checked: { id: number; sha: string };

  const pipelines = async (project: string) => (await lab.db.query<{ id: string; status: string; event: string }>('SELECT id, status, event FROM pipelines WHERE project = $1 ORDER BY id', [project])).rows;
  const commentSays = (record: ForgeRecord, text: string) => waitFor(`the comment to say ${text}`, () => record.bodies.some((body) => body.includes(text)), 20_000);

  beforeAll(async () => {
    gitlab = fakeGitlab(GITLAB_URL, new Map()).record;
    github = fakeGithub(new Map()).record;
    nock(GITLAB_URL)
      .persist()
      .get('/api/v4/projects/55')
      .reply(200, { id: 55, visibility: 'private' })
      .get(/^\/api\/v4\/projects\/55\/members\/all\/\d+$/)
      .reply((uri) => {
        const level = { [REPORTER.id]: 20, [DEVELOPER.id]: 30 }[Number(uri.split('/').pop())];
        return level === undefined ? [404, { message: '404 Not found' }] : [200, { id: Number(uri.split('/').pop()), access_level: level }];
      });
    nock('https://api.github.com')
      .persist()
      .get('/repos/octo/shop')
      .reply(200, { private: true })
      .get(/^\/repos\/octo\/shop\/collaborators\/[^/]+\/permission$/)
      .reply((uri) => [200, { permission: uri.includes('/dev-dora/') ? 'write' : 'read' }]);
    lab = await startTestService({}, { workers: false, deploys: false });
    failed = await insertPipeline(lab.db, { project: 'group/app', projectId: 55, status: 'failed', changeRequest: 4, jobs: [{ name: 'test', status: 'failed' }] });
    checked = await insertPipeline(lab.db, { forge: 'github', project: 'octo/shop', projectId: 0, status: 'failed', changeRequest: 9 });
    await lab.db.query(`UPDATE pipelines SET forge_context = '{"installationId": 1}' WHERE id = $1`, [checked.id]);
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('refuses someone without write access, saying why in the comment, and starts nothing', async () => {
    const response = await postGitlab(lab.base, 'Note Hook', gitlabNote({ project: 'group/app', projectId: 55, iid: 4, note: '/slipway retry', user: REPORTER }));

    expect([response.status, await response.json()]).toEqual([202, { outcome: 'refused', reason: 'it takes write access to group/app' }]);
    await commentSays(gitlab, '@rita-reader: /slipway retry was refused: it takes write access to group/app.');
    expect((await pipelines('group/app')).map((row) => Number(row.id))).toEqual([failed.id]);
  });

  it('retries for a developer once, however often the hook is delivered, and cancels the retry on request', async () => {
    const note = gitlabNote({ project: 'group/app', projectId: 55, iid: 4, note: '/slipway retry please', user: DEVELOPER });
    const first = await postGitlab(lab.base, 'Note Hook', note, { idempotencyKey: 'note-delivery-1' });
    const again = await postGitlab(lab.base, 'Note Hook', note, { idempotencyKey: 'note-delivery-1' });
    const retried = (await first.json()) as { outcome: string; pipelineId: number };
    await commentSays(gitlab, `Retry of pipeline #${failed.id} asked by @dev-dora (/slipway retry).`);
    const cancel = await postGitlab(lab.base, 'Note Hook', gitlabNote({ project: 'group/app', projectId: 55, iid: 4, note: '/slipway cancel', user: DEVELOPER }));
    await commentSays(gitlab, 'Canceled by @dev-dora (/slipway cancel).');
    const help = await postGitlab(lab.base, 'Note Hook', gitlabNote({ project: 'group/app', projectId: 55, iid: 4, note: '/slipway deploy now', user: DEVELOPER }));
    const chatter = await postGitlab(lab.base, 'Note Hook', gitlabNote({ project: 'group/app', projectId: 55, iid: 4, note: 'LGTM, thanks /slipway', user: DEVELOPER }));

    expect(first.status).toBe(202);
    expect(retried.outcome).toBe('done');
    expect([again.status, await again.json()]).toEqual([200, { outcome: 'duplicate' }]);
    expect((await pipelines('group/app')).map((row) => [Number(row.id), row.status, row.event])).toEqual([
      [failed.id, 'failed', 'push'],
      [retried.pipelineId, 'canceled', 'retry'],
    ]);
    expect(await cancel.json()).toEqual({ outcome: 'done', pipelineId: retried.pipelineId });
    expect(await help.json()).toEqual({
      outcome: 'refused',
      reason: 'Slipway knows `/slipway retry` (run the newest pipeline again), `/slipway cancel` (stop it) and `/slipway play <job>` (run a manual job, or a delayed one now)',
    });
    expect([chatter.status, await chatter.json()]).toEqual([202, { outcome: 'ignored', reason: 'the comment is not a /slipway command' }]);
  });

  it('plays a manual job for a developer, in the same pipeline, and refuses a reader and a job that does not wait', async () => {
    const blocked = await insertPipeline(lab.db, {
      project: 'group/app',
      projectId: 55,
      status: 'blocked',
      changeRequest: 5,
      jobs: [{ name: 'build', status: 'passed' }, { name: 'approve prod', status: 'manual', stage: 'review' }, { name: 'release', status: 'created', stage: 'release' }],
    });
    const note = (text: string, user: typeof DEVELOPER) => gitlabNote({ project: 'group/app', projectId: 55, iid: 5, note: text, user });

    const reader = await postGitlab(lab.base, 'Note Hook', note('/slipway play approve prod', REPORTER));
    const notWaiting = await postGitlab(lab.base, 'Note Hook', note('/slipway play build', DEVELOPER));
    const played = await postGitlab(lab.base, 'Note Hook', note('/slipway play approve prod', DEVELOPER));

    expect(await reader.json()).toEqual({ outcome: 'refused', reason: 'it takes write access to group/app' });
    expect(await notWaiting.json()).toEqual({ outcome: 'refused', reason: 'build is passed, not waiting to be played: only a manual job, or a delayed one before its time, is' });
    expect(await played.json()).toEqual({ outcome: 'done', pipelineId: blocked.id });
    await commentSays(gitlab, 'approve prod played by @dev-dora (/slipway play approve prod).');
    const { rows } = await lab.db.query<{ name: string; status: string; played_by: string | null }>('SELECT name, status, played_by FROM jobs WHERE pipeline_id = $1 ORDER BY position', [blocked.id]);
    expect(rows).toEqual([
      { name: 'build', status: 'passed', played_by: null },
      { name: 'approve prod', status: 'pending', played_by: 'dev-dora (gitlab comment)' },
      { name: 'release', status: 'created', played_by: null },
    ]);
    // The same pipeline is queued again (no worker runs in this file): no new one is made.
    expect((await pipelines('group/app')).filter((row) => Number(row.id) >= blocked.id).map((row) => [Number(row.id), row.status])).toEqual([[blocked.id, 'queued']]);
  });

  it('answers a pull request comment on GitHub the same way', async () => {
    const reader = await postGithub(lab.base, 'issue_comment', githubComment({ repo: 'octo/shop', number: 9, body: '/slipway cancel', user: { id: 7, login: 'rita' } }));
    expect(await reader.json()).toEqual({ outcome: 'refused', reason: 'it takes write access to octo/shop' });
    await commentSays(github, '@rita: /slipway cancel was refused: it takes write access to octo/shop.');
  });

  it('starts exactly one pipeline when GitHub sends a Re-run of the checks, even twice', async () => {
    const before = (await pipelines('octo/shop')).length;
    const rerun = githubRerequest('check_suite', { repo: 'octo/shop', sha: checked.sha, user: { id: 8, login: 'dev-dora' } });
    const first = await postGithub(lab.base, 'check_suite', rerun, { deliveryId: 'rerun-1' });
    const second = await postGithub(lab.base, 'check_suite', rerun, { deliveryId: 'rerun-1' });
    const reader = await postGithub(lab.base, 'check_run', githubRerequest('check_run', { repo: 'octo/shop', sha: checked.sha, user: { id: 7, login: 'rita' } }));
    const after = await pipelines('octo/shop');

    expect((await first.json()) as object).toMatchObject({ outcome: 'done' });
    expect(await second.json()).toEqual({ outcome: 'duplicate' });
    expect(await reader.json()).toEqual({ outcome: 'refused', reason: 'it takes write access to octo/shop' });
    expect(after.length - before).toBe(1);
    expect(after.at(-1)).toMatchObject({ status: 'queued', event: 'retry' });
  });
});
