import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeArchive } from '../helpers/archive.js';
import { fakeSha, TINY_APP, uniqueName } from '../helpers/docker-lab.js';
import { fakeGithub } from '../helpers/fake-forges.js';
import { githubPullRequest, githubPush } from '../helpers/forge-payloads.js';
import { count, pipelineRow, postGithub, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';

describe('GitHub pull requests', () => {
  let lab: TestService;
  const archives = new Map<string, Buffer>();
  let github: ReturnType<typeof fakeGithub>;
  beforeAll(async () => {
    github = fakeGithub(archives);
    lab = await startTestService();
  });
  afterAll(async () => {
    await lab?.stop();
  });
  const lastComment = (number: number) => github.record.comments.get(number)?.at(-1)?.body ?? '';
  const runsOf = (sha: string) => github.record.checkRuns.filter((run) => run.sha === sha);
  const pipelineCheck = (sha: string) => runsOf(sha).find((run) => run.name === 'slipway');

  it('get one comment that moves from pending to passed, and check runs for the pipeline and each job', async () => {
    const repo = uniqueName('slipway-test/hello');
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(TINY_APP));

    const response = await postGithub(lab.base, 'pull_request', githubPullRequest({ repo, sha, number: 21 }));
    const accepted = (await response.json()) as { outcome: string; pipelineId: number };
    await waitFor('the passed comment', () => lastComment(21).includes('pipeline passed'));
    await waitFor('the successful check run', () => pipelineCheck(sha)?.conclusion === 'success');
    const bodies = github.record.bodies.filter((body) => body.includes(sha.slice(0, 12)));

    expect(response.status).toBe(202);
    expect(accepted.outcome).toBe('queued');
    expect(github.record.comments.get(21)).toHaveLength(1);
    expect(bodies[0]).toMatch(/pipeline (queued|running)/);
    expect(bodies.at(-1)).toMatch(/\| build \| ✅ passed \| [\d.]+s \| \d\/7 steps cached · `127\.0\.0\.1:5000\/slipway-test\/hello-[0-9a-f]+:[0-9a-f]{40}` `sha256:[0-9a-f]{64}` \|/);
    const writes = github.record.checkWrites.filter((write) => write.name === 'slipway');
    // The first write says the state as it is then: a quick worker has already made it in_progress (as the comment's `queued|running`).
    expect(writes[0]).toEqual({ name: 'slipway', status: writes[0]!.status === 'in_progress' ? 'in_progress' : 'queued', conclusion: null });
    expect(writes.at(-1)).toEqual({ name: 'slipway', status: 'completed', conclusion: 'success' });
    expect(runsOf(sha).map((run) => [run.name, run.status, run.conclusion, run.external_id])).toEqual([
      ['slipway', 'completed', 'success', String(accepted.pipelineId)],
      ['slipway / test', 'completed', 'success', String(accepted.pipelineId)],
      ['slipway / build', 'completed', 'success', String(accepted.pipelineId)],
    ]);
    expect(pipelineCheck(sha)!.output.summary).toContain('| build | ✅ passed |');
    expect(pipelineCheck(sha)!.details_url).toBe(`http://slipway.test/pipelines/${accepted.pipelineId}`);
    expect((await pipelineRow(lab.db, accepted.pipelineId)).status).toBe('passed');
  });

  it('run a fork’s tests but skip its build, and say why', async () => {
    const repo = uniqueName('slipway-test/hello');
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(TINY_APP));

    const accepted = (await (await postGithub(lab.base, 'pull_request', githubPullRequest({ repo, sha, number: 22, fork: 'stranger/hello' }))).json()) as {
      pipelineId: number;
    };
    await waitFor('the passed comment', () => lastComment(22).includes('pipeline passed'));
    const pipeline = await pipelineRow(lab.db, accepted.pipelineId);

    expect(lastComment(22)).toMatch(/\| test \| ✅ passed \|/);
    expect(lastComment(22)).toContain('| build | ⏭️ skipped |  | skipped: forks push no image |');
    expect(lastComment(22)).toContain('The build was skipped: this change comes from a fork');
    expect(pipeline.image_digest).toBeNull();
  });
});

describe('GitHub webhooks that Slipway refuses or ignores', () => {
  let lab: TestService;
  beforeAll(async () => {
    lab = await startTestService({}, { workers: false });
  });
  afterAll(async () => {
    await lab?.stop();
  });
  const payload = () => githubPullRequest({ repo: 'octo/app', sha: fakeSha() });

  it('answers a bad signature with 401 and records nothing', async () => {
    const response = await postGithub(lab.base, 'pull_request', payload(), { secret: 'someone-elses-secret' });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'X-Hub-Signature-256 does not match the body: check WEBHOOK_SECRET' });
    expect(await count(lab.db, 'deliveries')).toBe(0);
    expect(await count(lab.db, 'pipelines')).toBe(0);
  });

  it('answers malformed JSON, correctly signed, with 400', async () => {
    const response = await postGithub(lab.base, 'pull_request', undefined, { rawBody: '{"action": "opened", ' });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'the body is not valid JSON' });
    expect(await count(lab.db, 'deliveries')).toBe(0);
  });

  it('starts nothing new when GitHub redelivers', async () => {
    const body = payload();

    const first = await postGithub(lab.base, 'pull_request', body, { deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    const again = await postGithub(lab.base, 'pull_request', body, { deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });

    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ outcome: 'duplicate' });
    expect(await count(lab.db, 'pipelines')).toBe(1);
  });

  it.each([
    ['issues', { action: 'opened' }, 'event "issues" is not one Slipway handles'],
    ['pull_request', githubPullRequest({ repo: 'octo/app', sha: fakeSha(), action: 'labeled' }), 'pull_request action "labeled" needs no pipeline'],
    ['push', { ...githubPush({ repo: 'octo/app', sha: fakeSha() }), ref: 'refs/tags/v2' }, 'push to refs/tags/v2 is not a branch'],
  ])('accepts and ignores %s events it has no use for', async (event, body, reason) => {
    const response = await postGithub(lab.base, event, body);

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ outcome: 'ignored', reason });
  });

  it('names what is missing from a payload that is not a GitHub App delivery', async () => {
    const body = payload();
    delete body.installation;

    const response = await postGithub(lab.base, 'pull_request', body);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'pull_request payload has no installation: is this a GitHub App webhook?' });
  });
});

describe('GitHub events for one commit', () => {
  let lab: TestService;
  beforeAll(async () => {
    fakeGithub(new Map());
    lab = await startTestService({}, { workers: false });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  // No worker runs here: the push's pipeline must still be queued when the pull request arrives.
  it('join a push and a pull request for the same commit into one pipeline', async () => {
    const repo = uniqueName('slipway-test/hello');
    const sha = fakeSha();

    const push = (await (await postGithub(lab.base, 'push', githubPush({ repo, sha, ref: 'feature' }))).json()) as { pipelineId: number };
    const pr = (await (await postGithub(lab.base, 'pull_request', githubPullRequest({ repo, sha, number: 23, action: 'synchronize' }))).json()) as {
      outcome: string;
      pipelineId: number;
    };

    expect(pr).toEqual({ outcome: 'joined', pipelineId: push.pipelineId });
  });
});
