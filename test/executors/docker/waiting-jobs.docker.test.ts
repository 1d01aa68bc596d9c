import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeArchive } from '../../helpers/archive.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';
import { fakeSha, uniqueName } from '../../helpers/docker-lab.js';
import { fakeGitlab, type ForgeRecord } from '../../helpers/fake-forges.js';
import { gitlabPush } from '../../helpers/forge-payloads.js';
import { asAdmin, GITLAB_URL, postGitlab, startTestService, type TestService } from '../../helpers/test-service.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * A team's usual file: a build that keeps artifacts and a dotenv report, an optional manual
 * check (may fail: blocks nothing), an approval nobody may skip (a blocking manual job), then a
 * stage called `deploy` that publishes docs: in a project without environments it runs, as in GitLab.
 */
const MANUAL = `image: busybox
stages: [build, review, deploy, after]
build:
  stage: build
  script:
    - mkdir -p dist && echo "built by $CI_JOB_NAME in $CI_PIPELINE_ID" > dist/app.txt
    - echo "BUILD_ID=b-$CI_PIPELINE_ID" > build.env
  artifacts:
    paths: [dist/]
    reports:
      dotenv: build.env
optional-check:
  stage: build
  when: manual
  script: [echo optional]
approve:
  stage: review
  when: manual
  allow_failure: false
  script:
    - cat dist/app.txt
    - echo "approved $BUILD_ID"
publish-docs:
  stage: deploy
  script: [echo "publishing docs for $CI_COMMIT_SHORT_SHA"]
after:
  stage: after
  script: [echo after]
`;

const DELAYED = `image: busybox
stages: [build, canary, after]
build: { stage: build, script: [echo build] }
canary:
  stage: canary
  when: delayed
  start_in: 4 seconds
  script: [echo "canary ran in $CI_PIPELINE_ID"]
after: { stage: after, script: [echo after] }
`;

interface PageJob {
  id: number;
  name: string;
  status: string;
  log: string;
  error: string | null;
  playedBy: string | null;
  scheduledAt: string | null;
}

describe('jobs that wait for a person or a clock, in real pipelines', () => {
  let lab: TestService;
  let gitlab: ForgeRecord;
  const archives = new Map<string, Buffer>();
  beforeAll(async () => {
    gitlab = fakeGitlab(GITLAB_URL, archives).record;
    lab = await startTestService();
  });
  afterAll(async () => {
    await lab?.stop();
  });

  const statusOf = async (service: TestService, id: number) => (await service.db.query<{ status: string }>('SELECT status FROM pipelines WHERE id = $1', [id])).rows[0]?.status;
  const settled = (service: TestService, id: number, statuses: string[]) => waitFor(`pipeline #${id} to be ${statuses.join(' or ')}`, async () => statuses.includes((await statusOf(service, id)) ?? ''));
  const pageOf = async (service: TestService, id: number) => {
    const page = (await (await fetch(`${service.base}/api/pipelines/${id}`, { headers: asAdmin })).json()) as { status: string; jobs: PageJob[] };
    return { ...page, job: (name: string) => page.jobs.find((job) => job.name === name)! };
  };
  const push = async (service: TestService, file: string) => {
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(undefined, { '.gitlab-ci.yml': file }));
    const response = await postGitlab(service.base, 'Push Hook', gitlabPush({ project: uniqueName('slipway-test/waits'), sha, ref: 'main' }));
    return ((await response.json()) as { pipelineId: number }).pipelineId;
  };

  it('holds the later stages behind a blocking manual job until it is played, then runs it in the same pipeline with what build left', async () => {
    const id = await push(lab, MANUAL);
    await settled(lab, id, ['blocked', 'failed', 'passed', 'error']);
    const blocked = await pageOf(lab, id);

    expect(blocked.jobs.map((job) => [job.name, job.status])).toEqual([
      ['build', 'passed'],
      ['optional-check', 'manual'],
      ['approve', 'manual'],
      ['publish-docs', 'created'],
      ['after', 'created'],
    ]);
    expect(blocked.status).toBe('blocked');
    await waitFor('the commit status to say what waits', () => gitlab.statuses.some((status) => status.state === 'pending' && status.description === 'pipeline blocked: a manual job waits to be played'));

    const played = await fetch(`${lab.base}/api/pipelines/${id}/jobs/${blocked.job('approve').id}/play`, { method: 'POST', headers: asAdmin });
    expect([played.status, await played.json()]).toEqual([202, { pipelineId: id }]);
    await settled(lab, id, ['passed', 'failed', 'error']);
    const done = await pageOf(lab, id);

    expect(done.jobs.map((job) => [job.name, job.status])).toEqual([
      ['build', 'passed'],
      ['optional-check', 'manual'],
      ['approve', 'passed'],
      ['publish-docs', 'passed'],
      ['after', 'passed'],
    ]);
    expect(done.status).toBe('passed');
    // Its dependencies' artifacts and dotenv reached it from the first run, in a fresh daemon.
    expect(done.job('approve').log).toContain(`built by build in ${id}`);
    expect(done.job('approve').log).toContain(`approved b-${id}`);
    expect(done.job('approve').playedBy).toBe('admin');
    expect(done.job('publish-docs').log).toMatch(/publishing docs for [0-9a-f]{8}/);
    // build ran once: the play continued the pipeline, it did not start it again.
    expect(done.job('build').log.match(/^\$ mkdir -p dist/gm)).toHaveLength(1);
    const again = await fetch(`${lab.base}/api/pipelines/${id}/jobs/${done.job('approve').id}/play`, { method: 'POST', headers: asAdmin });
    expect([again.status, await again.json()]).toEqual([409, { error: 'approve is passed, not waiting to be played: only a manual job, or a delayed one before its time, is' }]);
  });

  it('starts a delayed job when its time comes, even after the service restarted, and only once', async () => {
    const database: TestDatabase = await createTestDatabase();
    let first: TestService | undefined = await startTestService({}, {}, database);
    let second: TestService | undefined;
    try {
      const id = await push(first, DELAYED);
      await settled(first, id, ['scheduled', 'failed', 'error']);
      const scheduled = await pageOf(first, id);
      expect(scheduled.jobs.map((job) => [job.name, job.status])).toEqual([
        ['build', 'passed'],
        ['canary', 'scheduled'],
        ['after', 'created'],
      ]);
      expect(Date.parse(scheduled.job('canary').scheduledAt!)).toBeGreaterThan(Date.now());
      await first.stop();
      first = undefined;

      second = await startTestService({}, {}, database);
      await settled(second, id, ['passed', 'failed', 'error']);
      const done = await pageOf(second, id);
      expect(done.jobs.map((job) => [job.name, job.status])).toEqual([
        ['build', 'passed'],
        ['canary', 'passed'],
        ['after', 'passed'],
      ]);
      // Its output line, not the command the log echoes: the job ran once.
      expect(done.job('canary').log.match(new RegExp(`^canary ran in ${id}$`, 'gm'))).toHaveLength(1);
      expect(done.job('canary').playedBy).toBeNull();
    } finally {
      await first?.stop();
      await second?.stop();
      await database.drop();
    }
  });
});
