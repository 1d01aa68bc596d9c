import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeArchive } from '../helpers/archive.js';
import { fakeSha, uniqueName } from '../helpers/docker-lab.js';
import { fakeGitlab } from '../helpers/fake-forges.js';
import { gitlabBranchDeletion, gitlabMergeRequest, gitlabPush } from '../helpers/forge-payloads.js';
import { asAdmin, GITLAB_URL, postGitlab, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';
import { environmentSlug } from '../../src/pipeline/predefined-variables.js';

/**
 * GitLab's review app, as its documentation writes it: each branch deploys to
 * `review/$CI_COMMIT_REF_SLUG` in its own pipeline, and a manual `on_stop` job takes it down.
 * The policy marks `review/*` `approval: none`, so it deploys in the pipeline as in GitLab,
 * while `production` still waits for /deploy.
 */
const pipelineFile = (autoStopIn: string) => `image: busybox
stages: [test, deploy]
test:
  stage: test
  script: [echo tested]
review:
  stage: deploy
  environment:
    name: review/$CI_COMMIT_REF_SLUG
    url: https://$CI_ENVIRONMENT_SLUG.review.example.test
    on_stop: stop_review
    auto_stop_in: ${autoStopIn}
  script:
    - echo "deploying $CI_ENVIRONMENT_NAME ($CI_ENVIRONMENT_ACTION, $CI_ENVIRONMENT_TIER) at $CI_ENVIRONMENT_URL"
stop_review:
  stage: deploy
  when: manual
  environment: { name: review/$CI_COMMIT_REF_SLUG, action: stop }
  script: [echo "stopping $CI_ENVIRONMENT_NAME ($CI_ENVIRONMENT_ACTION)"]
production:
  stage: deploy
  environment: production
  script: [echo production]
`;

interface PageJob {
  name: string;
  status: string;
  log: string;
  playedBy?: string | null;
}

interface ReviewAppView {
  project: string;
  environment: string;
  state: string;
  url: string | null;
  pipelineId: number;
  stoppedBy: string | null;
  stopNote: string | null;
}

describe('review apps: environments the policy deploys in the pipeline, stopped when their change ends', () => {
  // GitLab gives a project five archives a minute; each test's project fetches two or three.
  const closed = uniqueName('slipway-test/review-close');
  const deleted = uniqueName('slipway-test/review-delete');
  const expiring = uniqueName('slipway-test/review-expire');
  const archives = new Map<string, Buffer>();
  let service: TestService;
  let policyDir: string;

  const finished = (pipelineId: number) =>
    waitFor(`pipeline #${pipelineId} to finish`, async () => {
      const { rows } = await service.db.query<{ status: string }>('SELECT status FROM pipelines WHERE id = $1', [pipelineId]);
      return ['passed', 'failed', 'error', 'blocked', 'canceled'].includes(rows[0]?.status ?? '') && rows[0]!.status;
    });
  const send = async (event: string, payload: unknown, autoStopIn = '1 week') => {
    const sha = (payload as { checkout_sha?: string | null; object_attributes?: { last_commit: { id: string } } }).checkout_sha ?? (payload as { object_attributes: { last_commit: { id: string } } }).object_attributes?.last_commit.id;
    if (sha) archives.set(sha, await forgeArchive(undefined, { '.gitlab-ci.yml': pipelineFile(autoStopIn) }));
    return (await (await postGitlab(service.base, event, payload)).json()) as { outcome: string; pipelineId?: number };
  };
  const pageOf = async (id: number) => (await (await fetch(`${service.base}/api/pipelines/${id}`, { headers: asAdmin })).json()) as { status: string; jobs: PageJob[] };
  const reviewApp = async (project: string, environment: string) => {
    const { reviewApps } = (await (await fetch(`${service.base}/api/environments`, { headers: asAdmin })).json()) as { reviewApps: ReviewAppView[] };
    return reviewApps.find((app) => app.project === project && app.environment === environment);
  };
  const stopped = (project: string, environment: string) => waitFor(`${environment} to stop`, async () => ((await reviewApp(project, environment))?.state === 'stopped' ? reviewApp(project, environment) : undefined));

  beforeAll(async () => {
    policyDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-policy-'));
    const policyFile = path.join(policyDir, 'slipway.yml');
    const review = ['    environments:', '      "review/*": { approval: none }', '      production: { approvers: [UAPPROVER] }'];
    await writeFile(policyFile, ['projects:', `  ${closed}:`, ...review, `  ${deleted}:`, ...review, `  ${expiring}:`, ...review].join('\n'));
    fakeGitlab(GITLAB_URL, archives);
    service = await startTestService({ SLIPWAY_CONFIG: policyFile });
  });

  afterAll(async () => {
    await service?.stop();
    if (policyDir) await rm(policyDir, { recursive: true, force: true });
  });

  it('deploys a merge request’s review app in its pipeline, lists it, and plays its on_stop job there when the merge request closes', async () => {
    const sha = fakeSha();
    const opened = await send('Merge Request Hook', gitlabMergeRequest({ project: closed, sha, iid: 7, sourceBranch: 'feature/login' }));
    expect(await finished(opened.pipelineId!)).toBe('passed');
    const environment = 'review/feature-login';
    const url = `https://${environmentSlug(environment)}.review.example.test`;

    const deployed = await pageOf(opened.pipelineId!);
    expect(deployed.jobs.map((job) => [job.name, job.status])).toEqual([
      ['test', 'passed'],
      ['review', 'passed'],
      ['stop_review', 'manual'],
      ['production', 'skipped'],
    ]);
    expect(deployed.jobs.find((job) => job.name === 'review')!.log).toContain(`deploying ${environment} (start, development) at ${url}`);
    expect(await reviewApp(closed, environment)).toMatchObject({ state: 'available', url, pipelineId: opened.pipelineId });
    const page = await (await fetch(`${service.base}/environments`, { headers: asAdmin })).text();
    expect(page).toContain(`<a href="${url}" rel="noopener">${environment}</a>`);

    const close = await send('Merge Request Hook', gitlabMergeRequest({ project: closed, sha, iid: 7, action: 'close', sourceBranch: 'feature/login' }));
    expect(close.outcome).toBe('canceled');
    const app = await stopped(closed, environment);

    expect(app).toMatchObject({ state: 'stopped', pipelineId: opened.pipelineId, stoppedBy: 'slipway: merge request !7 was closed', stopNote: null });
    const after = await pageOf(opened.pipelineId!);
    const stopJob = after.jobs.find((job) => job.name === 'stop_review')!;
    expect([stopJob.status, stopJob.playedBy]).toEqual(['passed', 'slipway: merge request !7 was closed']);
    expect(stopJob.log).toContain(`stopping ${environment} (stop)`);
    // The stop job ran in the pipeline that deployed the app; nothing else ran again.
    expect(after.jobs.find((job) => job.name === 'review')!.log).toBe(deployed.jobs.find((job) => job.name === 'review')!.log);
  });

  it('stops a branch’s review app when the branch is deleted, once GitLab says it is gone', async () => {
    const sha = fakeSha();
    const pushed = await send('Push Hook', gitlabPush({ project: deleted, sha, ref: 'fix/typo' }));
    expect(await finished(pushed.pipelineId!)).toBe('passed');
    expect((await reviewApp(deleted, 'review/fix-typo'))?.state).toBe('available');

    const gone = await send('Push Hook', gitlabBranchDeletion({ project: deleted, before: sha, ref: 'fix/typo' }));
    expect(gone.outcome).toBe('canceled');

    expect(await stopped(deleted, 'review/fix-typo')).toMatchObject({ stoppedBy: 'slipway: branch fix/typo was deleted', stopNote: null });
    expect((await pageOf(pushed.pipelineId!)).jobs.find((job) => job.name === 'stop_review')!.status).toBe('passed');
  });

  it('stops a review app by itself once its auto_stop_in runs out', async () => {
    const sha = fakeSha();
    const pushed = await send('Push Hook', gitlabPush({ project: expiring, sha, ref: 'spike' }), '2 seconds');
    expect(await finished(pushed.pipelineId!)).toBe('passed');

    expect(await stopped(expiring, 'review/spike')).toMatchObject({ stoppedBy: 'slipway: auto_stop_in ran out', stopNote: null });
    expect((await pageOf(pushed.pipelineId!)).jobs.find((job) => job.name === 'stop_review')!.log).toContain('stopping review/spike (stop)');
  });
});
