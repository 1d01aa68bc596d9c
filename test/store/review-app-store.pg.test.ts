import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/pipeline/run/engine.js';
import type { PipelinePlan } from '../../src/pipeline/plan.js';
import { createPipelineStore, type PipelineStore } from '../../src/store/pipeline-store.js';
import { createReviewAppStore, type ReviewAppStore } from '../../src/store/review-app-store.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { fakeSha, uniqueName } from '../helpers/docker-lab.js';

// Review apps as PostgreSQL records them, from the jobs' own records as each ends.

const PLAN: PipelinePlan = {
  source: '.gitlab-ci.yml',
  jobs: [
    { kind: 'script', name: 'review', stage: 'deploy', image: 'busybox', script: ['d'], variables: {}, environment: { name: 'review/feature', action: 'start', url: 'https://feature.review.test', onStop: 'stop_review', autoStopInSeconds: 3600 } },
    { kind: 'script', name: 'stop_review', stage: 'deploy', image: 'busybox', script: ['s'], variables: {}, when: 'manual', environment: { name: 'review/feature', action: 'stop' } },
  ],
};

const result = (name: string, status: JobResult['status']): JobResult => ({ name, kind: 'script', status, exitCode: status === 'passed' ? 0 : 1, durationMs: 10 });

let database: MigratedDatabase;
let pipelines: PipelineStore;
let reviewApps: ReviewAppStore;
beforeAll(async () => {
  database = await createMigratedDatabase();
  pipelines = createPipelineStore(database.pool);
  reviewApps = createReviewAppStore(database.pool);
});
afterAll(async () => {
  await database?.drop();
});

/** A pipeline of `project` recorded as a worker records it, from a fork or not. */
async function recorded(project: string, fromFork: boolean) {
  const pipeline = await pipelines.create({ forge: 'gitlab', project, sha: fakeSha(), ref: fromFork ? 'alice:feature' : 'feature', defaultBranch: 'main' }, PLAN.jobs, 'test-owner');
  if (fromFork) await database.pool.query('UPDATE pipelines SET from_fork = true WHERE id = $1', [pipeline.id]);
  return pipeline;
}

describe('review apps recorded from their jobs', () => {
  it('records a passed deploy, and a passed stop; a failed stop leaves it running', async () => {
    const project = uniqueName('team/app');
    const pipeline = await recorded(project, false);

    await pipelines.finishJob(pipeline.jobIds.get('review')!, result('review', 'passed'));
    const deployed = (await reviewApps.list([{ forge: 'gitlab', project }]))[0];
    await pipelines.finishJob(pipeline.jobIds.get('stop_review')!, result('stop_review', 'failed'));
    const afterFailure = (await reviewApps.list([{ forge: 'gitlab', project }]))[0];
    await pipelines.finishJob(pipeline.jobIds.get('stop_review')!, result('stop_review', 'passed'));
    const stopped = (await reviewApps.list([{ forge: 'gitlab', project }]))[0];

    expect(deployed).toMatchObject({ environment: 'review/feature', state: 'available', url: 'https://feature.review.test', stopJob: 'stop_review', pipelineId: pipeline.id });
    expect(deployed!.autoStopAt).not.toBeNull();
    expect(afterFailure?.state).toBe('available');
    expect(stopped?.state).toBe('stopped');
  });

  it('records nothing a fork’s pipeline deploys: on GitLab it runs in the fork and touches none of the project’s environments', async () => {
    const project = uniqueName('team/app');
    const pipeline = await recorded(project, true);

    await pipelines.finishJob(pipeline.jobIds.get('review')!, result('review', 'passed'));

    expect(await reviewApps.list([{ forge: 'gitlab', project }])).toEqual([]);
  });
});
