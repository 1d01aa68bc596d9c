import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryPath } from '../../src/pipeline/image-names.js';
import { forgeArchive } from '../helpers/archive.js';
import { dindsOf, EXAMPLE, fakeSha, registry, TINY_APP, uniqueName } from '../helpers/docker-lab.js';
import { fakeGitlab } from '../helpers/fake-forges.js';
import { gitlabMergeRequest, gitlabPush } from '../helpers/forge-payloads.js';
import { count, asAdmin, GITLAB_URL, pipelineRow, postGitlab, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';

const TEST_ONLY = (script: string) => `test:\n  image: busybox\n  script:\n    - ${script}\nbuild: false\n`;

describe('GitLab merge requests', () => {
  let lab: TestService;
  const archives = new Map<string, Buffer>();
  let gitlab: ReturnType<typeof fakeGitlab>;
  beforeAll(async () => {
    gitlab = fakeGitlab(GITLAB_URL, archives, { failStatuses: 2 });
    lab = await startTestService();
  });
  afterAll(async () => {
    await lab?.stop();
  });

  const statesOf = (sha: string) => gitlab.record.statuses.filter((status) => status.sha === sha).map((status) => status.state);
  const lastNote = (iid: number) => gitlab.record.comments.get(iid)?.at(-1)?.body ?? '';

  it('get one comment that moves from pending to passed, with the pushed image', async () => {
    const project = uniqueName('slipway-test/mr');
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(TINY_APP));
    const before = gitlab.record.created;

    const response = await postGitlab(lab.base, 'Merge Request Hook', gitlabMergeRequest({ project, sha, iid: 11 }));
    const accepted = (await response.json()) as { outcome: string; pipelineId: number };
    await waitFor('the passed comment', () => lastNote(11).includes('pipeline passed'));
    const pipeline = await pipelineRow(lab.db, accepted.pipelineId);
    const bodies = gitlab.record.bodies.filter((body) => body.includes(sha.slice(0, 12)));

    expect(response.status).toBe(202);
    expect(accepted.outcome).toBe('queued');
    expect(gitlab.record.created - before).toBe(1);
    expect(gitlab.record.comments.get(11)).toHaveLength(1);
    expect(bodies[0]).toMatch(/pipeline (queued|running)/);
    expect(bodies.at(-1)).toContain('<!-- slipway:pipeline-report -->');
    expect(bodies.at(-1)).toMatch(/\| test \| ✅ passed \|/);
    expect(bodies.at(-1)).toContain(`\`${pipeline.image_digest}\``);
    expect(bodies.at(-1)).toContain(`http://slipway.test/pipelines/${accepted.pipelineId}`);
    expect(bodies.at(-1)).toContain(`/deploy ${sha.slice(0, 12)} <environment>`);
    // The first two status calls failed with 502 and were retried: nothing was lost. A retry
    // sends the state as it is then, which a quick worker has already made running.
    expect(['pending', 'running']).toContain(statesOf(sha)[0]);
    expect(statesOf(sha)).toContain('running');
    expect(statesOf(sha).at(-1)).toBe('success');
    expect((await registry.getManifest(repositoryPath(project), sha))?.digest).toBe(pipeline.image_digest);
  });

  it('cancel the older pipeline when a second commit arrives, and say so in the same comment', async () => {
    const project = uniqueName('slipway-test/mr');
    const [first, second] = [fakeSha(), fakeSha()];
    archives.set(first, await forgeArchive(EXAMPLE, { '.slipway.yml': TEST_ONLY('sleep 300') }));
    archives.set(second, await forgeArchive(EXAMPLE, { '.slipway.yml': TEST_ONLY('echo the newer commit') }));

    const opened = (await (await postGitlab(lab.base, 'Merge Request Hook', gitlabMergeRequest({ project, sha: first, iid: 12 }))).json()) as { pipelineId: number };
    await waitFor('the first pipeline to run its job', async () => (await lab.db.query(`SELECT 1 FROM jobs WHERE pipeline_id = $1 AND status = 'running'`, [opened.pipelineId])).rowCount);
    const updated = (await (
      await postGitlab(lab.base, 'Merge Request Hook', gitlabMergeRequest({ project, sha: second, iid: 12, action: 'update', oldrev: first }))
    ).json()) as { pipelineId: number; superseded: number[] };
    await waitFor('the second pipeline to pass', async () => (await pipelineRow(lab.db, updated.pipelineId)).status === 'passed' && lastNote(12).includes('pipeline passed'));
    const old = await waitFor('the first pipeline to end', async () => {
      const row = await pipelineRow(lab.db, opened.pipelineId);
      return row.status === 'canceled' && row;
    });
    await waitFor('the canceled status', () => statesOf(first).at(-1) === 'canceled');

    expect(updated.superseded).toEqual([opened.pipelineId]);
    expect(old.cancel_reason).toBe(`superseded by pipeline #${updated.pipelineId}`);
    expect(gitlab.record.comments.get(12)).toHaveLength(1);
    expect(lastNote(12)).toContain(`Pipeline #${opened.pipelineId} for \`${first.slice(0, 12)}\` was canceled: superseded by this one.`);
    expect(await dindsOf(String(opened.pipelineId))).toEqual([]);
  });

  it('start nothing new on a redelivery', async () => {
    const project = uniqueName('slipway-test/mr');
    const hook = gitlabMergeRequest({ project, sha: fakeSha(), iid: 13 });
    const [deliveriesBefore, pipelinesBefore] = [await count(lab.db, 'deliveries'), await count(lab.db, 'pipelines')];

    const first = await postGitlab(lab.base, 'Merge Request Hook', hook, { idempotencyKey: 'delivery-13' });
    const again = await postGitlab(lab.base, 'Merge Request Hook', hook, { idempotencyKey: 'delivery-13' });

    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ outcome: 'duplicate' });
    expect(await count(lab.db, 'deliveries')).toBe(deliveriesBefore + 1);
    expect(await count(lab.db, 'pipelines')).toBe(pipelinesBefore + 1);
  });

  it('show a pipeline file error in the comment, with its field and line', async () => {
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(EXAMPLE, { '.slipway.yml': 'test:\n  image: python:3.8-slim\n  script:\n    pip install -r requirements.txt\n' }));

    const accepted = (await (await postGitlab(lab.base, 'Merge Request Hook', gitlabMergeRequest({ project: uniqueName('slipway-test/mr'), sha, iid: 14 }))).json()) as {
      pipelineId: number;
    };
    await waitFor('the failed comment', () => lastNote(14).includes('pipeline failed'));

    expect((await pipelineRow(lab.db, accepted.pipelineId)).error).toBe('.slipway.yml: test.script must be a list of strings (line 4)');
    expect(lastNote(14)).toContain('> .slipway.yml: test.script must be a list of strings (line 4)');
    expect(statesOf(sha).at(-1)).toBe('failed');
  });

  it('run a .gitlab-ci.yml, list what it ignores in the comment, and record the image its job pushed for /deploy', async () => {
    const project = uniqueName('slipway-test/gitlab-ci');
    const sha = fakeSha();
    const gitlabCi = `image: docker
services: [docker:dind, redis:7]
cache: { paths: [.cache] }
stages: [test, build, deploy]
test:
  image: python:3.8-slim
  script: [python -m tornado.testing test_hello_world, echo "TOTAL     120     12    90%"]
  coverage: '/^TOTAL.+?(\\d+%)$/'
  artifacts: { paths: [report.xml] }
build:
  stage: build
  script:
    - docker login -u gitlab-ci-token -p "$CI_JOB_TOKEN" "$CI_REGISTRY"
    - docker pull busybox
    - docker tag busybox "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"
    - docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"
deploy:
  stage: deploy
  environment: production
  script: [echo deploying]
`;
    archives.set(sha, await forgeArchive(EXAMPLE, { '.slipway.yml': null, '.gitlab-ci.yml': gitlabCi }));

    const accepted = (await (await postGitlab(lab.base, 'Merge Request Hook', gitlabMergeRequest({ project, sha, iid: 15 }))).json()) as { pipelineId: number };
    await waitFor('the passed comment', () => lastNote(15).includes('pipeline passed'));
    const pipeline = await pipelineRow(lab.db, accepted.pipelineId);
    const pushed = await registry.getManifest(repositoryPath(project), sha.slice(0, 8));

    expect(lastNote(15)).toContain('<details open><summary>Notes on .gitlab-ci.yml</summary>');
    // cache and artifacts are read now: nothing of this file is ignored.
    expect(lastNote(15)).not.toContain('Ignored keywords');
    // redis:7 runs beside the jobs now; docker:dind is the pipeline's own daemon. Neither is a note.
    expect(lastNote(15)).not.toMatch(/services/i);
    expect(lastNote(15)).toContain('- Deploy jobs wait for `/deploy <sha> <environment>` in Slack, after approval, instead of running in the pipeline: `deploy`.');
    // pytest-cov's summary line, read with the pattern GitLab's documentation gives for it.
    expect(lastNote(15)).toMatch(/\| test \| ✅ passed \| [^|]+ \| coverage 90% \|/);
    expect(lastNote(15)).toContain('| deploy | ⏭️ skipped |  | waits for /deploy: it deploys to environment production, and deploys go through /deploy after approval |');
    // What /deploy knows of the file's environments.
    expect((await lab.db.query('SELECT name, environment FROM jobs WHERE pipeline_id = $1 ORDER BY position', [accepted.pipelineId])).rows).toEqual([
      { name: 'test', environment: null },
      { name: 'build', environment: null },
      { name: 'deploy', environment: 'production' },
    ]);
    expect(pipeline.image_ref).toBe(`127.0.0.1:5000/${repositoryPath(project)}:${sha.slice(0, 8)}`);
    expect(pipeline.image_digest).toBe(pushed?.digest);
    expect(lastNote(15)).toContain(`/deploy ${sha.slice(0, 12)} <environment>`);
  });

  it('report a push with a commit status and no comment', async () => {
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(EXAMPLE, { '.slipway.yml': TEST_ONLY('echo pushed') }));
    const commentsBefore = gitlab.record.created;

    const response = await postGitlab(lab.base, 'Push Hook', gitlabPush({ project: uniqueName('slipway-test/push'), sha, ref: 'feature/x' }));
    await waitFor('the success status', () => statesOf(sha).at(-1) === 'success');

    expect(response.status).toBe(202);
    expect(gitlab.record.created).toBe(commentsBefore);
  });

  it('record a pipeline its workflow:rules leave out as skipped, with the reason in the commit status, starting no daemon', async () => {
    const sha = fakeSha();
    const gitlabCi = `workflow:
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
test:
  image: busybox
  script: [echo never]
`;
    archives.set(sha, await forgeArchive(EXAMPLE, { '.slipway.yml': null, '.gitlab-ci.yml': gitlabCi }));

    const accepted = (await (await postGitlab(lab.base, 'Push Hook', gitlabPush({ project: uniqueName('slipway-test/workflow'), sha, ref: 'feature/y' }))).json()) as { pipelineId: number };
    const row = await waitFor('the skipped pipeline', async () => {
      const found = await pipelineRow(lab.db, accepted.pipelineId);
      return found.status === 'skipped' && found;
    });
    await waitFor('the skipped status', () => statesOf(sha).at(-1) === 'success');

    expect(row.error).toBe('no workflow:rules rule matches this pipeline');
    expect(gitlab.record.statuses.filter((status) => status.sha === sha).at(-1)?.description).toBe('no workflow:rules rule matches this pipeline');
    expect(await dindsOf(String(accepted.pipelineId))).toEqual([]);
    const page = await (await fetch(`${lab.base}/pipelines/${accepted.pipelineId}`, { headers: asAdmin })).text();
    expect(page).toContain('<p class="muted">no workflow:rules rule matches this pipeline</p>');
  });
});

describe('GitLab webhooks that Slipway refuses or ignores', () => {
  let lab: TestService;
  beforeAll(async () => {
    lab = await startTestService({}, { workers: false });
  });
  afterAll(async () => {
    await lab?.stop();
  });
  const hook = () => gitlabMergeRequest({ project: 'group/app', sha: fakeSha() });

  it.each([
    ['a wrong token', { token: 'not-the-secret' }, 401, { error: "X-Gitlab-Token is no project's webhook secret: issue one with slipway webhook-secret gitlab PROJECT_ID and set it on that project's webhook" }],
    ['no token', { token: null }, 401, { error: "missing X-Gitlab-Token: set the project's webhook secret as the GitLab webhook's secret token" }],
    ['malformed JSON', { rawBody: '{"object_kind": "merge_req' }, 400, { error: 'the body is not valid JSON' }],
  ])('answer %s with its status and record nothing', async (_name, options, status, body) => {
    const response = await postGitlab(lab.base, 'Merge Request Hook', hook(), options);

    expect(response.status).toBe(status);
    expect(await response.json()).toEqual(body);
    expect(await count(lab.db, 'deliveries')).toBe(0);
    expect(await count(lab.db, 'pipelines')).toBe(0);
  });

  it('answers a body over 25 MiB with 413 and records nothing', async () => {
    const response = await postGitlab(lab.base, 'Merge Request Hook', undefined, { rawBody: `{"padding": "${'x'.repeat(26 * 1024 * 1024)}"}` });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'request body is larger than 26214400 bytes' });
    expect(await count(lab.db, 'deliveries')).toBe(0);
  });

  it('names the field of a payload that is not the documented shape', async () => {
    const broken = hook();
    delete broken.object_attributes.last_commit;

    const response = await postGitlab(lab.base, 'Merge Request Hook', broken);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'Merge Request Hook body: object_attributes.last_commit Invalid input: expected object, received undefined' });
  });

  it.each([
    ['Issue Hook', { object_kind: 'issue' }, 'event "Issue Hook" is not one Slipway handles'],
    ['Push Hook', { ...gitlabPush({ project: 'group/app', sha: fakeSha() }), ref: 'refs/tags/v1.0' }, 'push to refs/tags/v1.0 is not a branch'],
    ['Merge Request Hook', { ...gitlabMergeRequest({ project: 'group/app', sha: fakeSha(), action: 'approved' }) }, 'merge request action "approved" brings no new commits'],
  ])('accepts and ignores a %s it has no use for', async (event, payload, reason) => {
    const response = await postGitlab(lab.base, event, payload);

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ outcome: 'ignored', reason });
    expect(await count(lab.db, 'pipelines')).toBe(0);
  });
});
