import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult, PipelineResult } from '../../src/pipeline/run/engine.js';
import type { PipelinePlan } from '../../src/pipeline/plan.js';
import { createPipelineQueue, type PipelineQueue } from '../../src/store/pipeline-queue.js';
import { createPipelineStore, type PipelineStore, type RecordedPipeline } from '../../src/store/pipeline-store.js';
import { createWaitingJobs, type WaitingJobs } from '../../src/store/waiting-jobs.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { fakeSha, uniqueName } from '../helpers/docker-lab.js';
import { queueGitlabPush } from '../helpers/test-service.js';

// Manual and delayed jobs as PostgreSQL keeps them: a paused pipeline, a play that queues it
// again under the same number, a delayed job started once when its time comes, and the refusals.

const PLAN: PipelinePlan = {
  source: '.gitlab-ci.yml',
  jobs: [
    { kind: 'script', name: 'build', stage: 'build', image: 'busybox', script: ['b'], variables: {} },
    { kind: 'script', name: 'review', stage: 'review', image: 'busybox', script: ['r'], variables: {}, when: 'manual' },
    { kind: 'script', name: 'canary', stage: 'review', image: 'busybox', script: ['c'], variables: {}, when: 'delayed', startInSeconds: 1800 },
    { kind: 'script', name: 'release', stage: 'release', image: 'busybox', script: ['x'], variables: {} },
  ],
};

const job = (name: string, status: JobResult['status'], error?: string): JobResult => ({ name, kind: 'script', status, exitCode: status === 'passed' ? 0 : null, durationMs: 10, ...(error ? { error } : {}) });

let database: MigratedDatabase;
let queue: PipelineQueue;
let store: PipelineStore;
let waiting: WaitingJobs;
beforeAll(async () => {
  database = await createMigratedDatabase();
  queue = createPipelineQueue(database.pool);
  store = createPipelineStore(database.pool);
  waiting = createWaitingJobs(database.pool);
});
afterAll(async () => {
  await database?.drop();
});

const rows = async (pipelineId: number) =>
  (
    await database.pool.query<{ name: string; status: string; trigger: string; blocking: boolean; played_by: string | null; due: boolean | null }>(
      `SELECT name, status, trigger, blocking, played_by, scheduled_at > now() + interval '29 minutes' AS due FROM jobs WHERE pipeline_id = $1 ORDER BY position`,
      [pipelineId],
    )
  ).rows;
const pipelineRow = async (pipelineId: number) =>
  (await database.pool.query<{ status: string; finished_at: Date | null; attempts: number }>('SELECT status, finished_at, attempts FROM pipelines WHERE id = $1', [pipelineId])).rows[0]!;

/** A pipeline claimed by `worker`, its jobs recorded, run as far as a person or a clock: paused. */
async function pausedPipeline(worker = 'worker-a'): Promise<{ id: number; recorded: RecordedPipeline }> {
  await queueGitlabPush(queue, uniqueName('team/app'), fakeSha());
  const claimed = (await queue.claim(worker, 60_000))!;
  const recorded = await store.replaceJobs(claimed.id, PLAN);
  const results = [job('build', 'passed'), job('review', 'manual', 'waits for a person to play it'), job('canary', 'scheduled', 'starts 30m after it was scheduled'), job('release', 'created', 'waits for canary')];
  for (const result of results) await store.finishJob(recorded.jobIds.get(result.name)!, result);
  const paused: PipelineResult = { status: 'scheduled', jobs: results, image: null, durationMs: 40 };
  expect(await store.finish(claimed.id, paused, worker)).toBe(true);
  return { id: claimed.id, recorded };
}

describe('a pipeline paused on jobs that wait', () => {
  it('keeps how each job starts, gives the delayed one its time once, and leaves the pipeline unfinished', async () => {
    const { id } = await pausedPipeline();
    expect(await rows(id)).toEqual([
      { name: 'build', status: 'passed', trigger: 'automatic', blocking: false, played_by: null, due: null },
      { name: 'review', status: 'manual', trigger: 'manual', blocking: true, played_by: null, due: null },
      { name: 'canary', status: 'scheduled', trigger: 'delayed', blocking: true, played_by: null, due: true },
      { name: 'release', status: 'created', trigger: 'automatic', blocking: false, played_by: null, due: null },
    ]);
    expect(await pipelineRow(id)).toMatchObject({ status: 'scheduled', finished_at: null });
    expect(await waiting.startDue()).not.toContain(id);
  });

  it('queues the same pipeline again when a person plays a job, and the next claim resumes it with that job played', async () => {
    const { id, recorded } = await pausedPipeline();
    await database.pool.query(`UPDATE pipelines SET attempts = 3 WHERE id = $1`, [id]);

    expect(await waiting.play(id, 'review', 'alice')).toEqual({ played: true });
    expect(await pipelineRow(id)).toMatchObject({ status: 'queued', attempts: 0 });
    const claimed = await queue.claim('worker-b', 60_000);
    expect(claimed).toMatchObject({ id, resume: true });
    const resumed = await store.resumeJobs(id, PLAN);
    expect(resumed).toEqual({ id, jobIds: recorded.jobIds, played: new Set(['review']), unscheduled: new Set() });
    expect((await rows(id)).find((row) => row.name === 'review')).toMatchObject({ status: 'pending', played_by: 'alice' });
    // The file read again must give the same jobs: a played job continues the pipeline it belongs to.
    expect(await store.resumeJobs(id, { ...PLAN, jobs: PLAN.jobs.slice(1) })).toBeNull();
  });

  it('queues a pipeline again when a job was played while its worker was still running it', async () => {
    await queueGitlabPush(queue, uniqueName('team/app'), fakeSha());
    const claimed = (await queue.claim('worker-c', 60_000))!;
    const recorded = await store.replaceJobs(claimed.id, PLAN);
    await store.finishJob(recorded.jobIds.get('review')!, job('review', 'manual'));

    expect(await waiting.play(claimed.id, 'review', 'bob')).toEqual({ played: true });
    expect(await pipelineRow(claimed.id)).toMatchObject({ status: 'running' });
    // The run that was going on ends without having run it: its turn is kept.
    const results = [job('build', 'passed'), job('review', 'manual'), job('canary', 'passed'), job('release', 'passed')];
    await store.finish(claimed.id, { status: 'passed', jobs: results, image: null, durationMs: 1 }, 'worker-c');
    expect(await pipelineRow(claimed.id)).toMatchObject({ status: 'queued', finished_at: null });
    expect((await rows(claimed.id)).find((row) => row.name === 'review')).toMatchObject({ status: 'pending', played_by: 'bob' });
  });

  it('does not queue again a pipeline canceled while it ran, though a job was played meanwhile: that job is canceled with it', async () => {
    await queueGitlabPush(queue, uniqueName('team/app'), fakeSha());
    const claimed = (await queue.claim('worker-d', 60_000))!;
    const recorded = await store.replaceJobs(claimed.id, PLAN);
    await store.finishJob(recorded.jobIds.get('review')!, job('review', 'manual'));
    await waiting.play(claimed.id, 'review', 'bob');
    expect(await queue.requestCancel(claimed.id, 'canceled by alice')).toBe(true);

    const results = [job('build', 'canceled', 'pipeline canceled'), job('review', 'manual'), job('canary', 'canceled', 'pipeline canceled'), job('release', 'canceled', 'pipeline canceled')];
    await store.finish(claimed.id, { status: 'canceled', jobs: results, image: null, durationMs: 1 }, 'worker-d');

    expect(await pipelineRow(claimed.id)).toMatchObject({ status: 'canceled' });
    expect((await rows(claimed.id)).map((row) => row.status)).toEqual(['canceled', 'canceled', 'canceled', 'canceled']);
  });

  it('starts a delayed job when its time comes, once however many workers look', async () => {
    const { id } = await pausedPipeline();
    await database.pool.query(`UPDATE jobs SET scheduled_at = now() - interval '1 second' WHERE pipeline_id = $1 AND name = 'canary'`, [id]);

    const [first, second] = await Promise.all([waiting.startDue(), waiting.startDue()]);
    expect([...first, ...second].filter((queued) => queued === id)).toEqual([id]);
    expect(await pipelineRow(id)).toMatchObject({ status: 'queued' });
    expect((await rows(id)).find((row) => row.name === 'canary')).toMatchObject({ status: 'pending', played_by: null });
  });

  it('turns an unscheduled delayed job into one that waits to be played, and the pipeline into a blocked one', async () => {
    const { id } = await pausedPipeline();
    expect(await waiting.unschedule(id, 'canary', 'carol')).toEqual({ unscheduled: true });
    expect((await rows(id)).find((row) => row.name === 'canary')).toMatchObject({ status: 'manual', due: null });
    expect(await pipelineRow(id)).toMatchObject({ status: 'blocked' });
    expect(await store.resumeJobs(id, PLAN)).toMatchObject({ unscheduled: new Set(['canary']) });
    expect(await waiting.unschedule(id, 'canary', 'carol')).toEqual({ refused: 'not-waiting', status: 'manual' });
  });

  it('refuses, saying why, a job that does not wait, a job or pipeline that does not exist, and a canceled pipeline', async () => {
    const { id } = await pausedPipeline();
    expect(await waiting.play(id, 'build', 'alice')).toEqual({ refused: 'not-waiting', status: 'passed' });
    expect(await waiting.play(id, 'release', 'alice')).toEqual({ refused: 'not-waiting', status: 'created' });
    expect(await waiting.play(id, 'nope', 'alice')).toEqual({ refused: 'no-job' });
    expect(await waiting.play(9_999_999, 'review', 'alice')).toEqual({ refused: 'missing' });

    expect(await queue.requestCancel(id, 'canceled by alice')).toBe(true);
    expect(await pipelineRow(id)).toMatchObject({ status: 'canceled' });
    expect((await rows(id)).map((row) => row.status)).toEqual(['passed', 'canceled', 'canceled', 'canceled']);
    expect(await waiting.play(id, 'review', 'alice')).toEqual({ refused: 'canceled' });
  });
});

describe('the jobs of a child a trigger job read as the pipeline ran', () => {
  const WITH_TRIGGER: PipelinePlan = {
    source: '.gitlab-ci.yml',
    jobs: [
      { kind: 'script', name: 'generate', stage: 'build', image: 'busybox', script: ['g'], variables: {}, artifacts: { paths: ['child.yml'], exclude: [], untracked: false, when: 'on_success', dotenv: [] } },
      { kind: 'trigger', name: 'child', stage: 'test', artifact: { job: 'generate', file: 'child.yml' }, depend: true, variables: {}, depth: 1 },
      { kind: 'script', name: 'release', stage: 'release', image: 'busybox', script: ['x'], variables: {} },
    ],
  };
  const childJob = (name: string, when?: 'manual') => ({ kind: 'script' as const, name: `child » ${name}`, stage: 'test', image: 'busybox', script: [name], variables: {}, ...(when ? { when } : {}), downstream: { trigger: 'child', job: name, depend: true } });

  it('are recorded after the plan’s jobs, once, and a person may play one; the resumed pipeline keeps them though its plan does not list them', async () => {
    await queueGitlabPush(queue, uniqueName('team/app'), fakeSha());
    const claimed = (await queue.claim('worker-t', 60_000))!;
    const recorded = await store.replaceJobs(claimed.id, WITH_TRIGGER);
    const added = await store.addJobs(claimed.id, [childJob('test'), childJob('deploy', 'manual')]);
    // Read again after a play: the same records, nothing doubled.
    expect(await store.addJobs(claimed.id, [childJob('test'), childJob('deploy', 'manual')])).toEqual(added);
    expect((await rows(claimed.id)).map((row) => [row.name, row.trigger])).toEqual([
      ['generate', 'automatic'],
      ['child', 'automatic'],
      ['release', 'automatic'],
      ['child » test', 'automatic'],
      ['child » deploy', 'manual'],
    ]);
    const results = [job('generate', 'passed'), { ...job('child', 'created', 'waits for child » deploy'), kind: 'trigger' as const }, job('release', 'created', 'waits for child'), job('child » test', 'passed'), job('child » deploy', 'manual', 'waits for a person to play it')];
    for (const result of results) await store.finishJob((recorded.jobIds.get(result.name) ?? added.get(result.name))!, result);
    expect(await store.finish(claimed.id, { status: 'blocked', jobs: results, image: null, durationMs: 40 }, 'worker-t')).toBe(true);

    expect(await waiting.play(claimed.id, 'child » deploy', 'alice')).toEqual({ played: true });
    expect(await queue.claim('worker-u', 60_000)).toMatchObject({ id: claimed.id, resume: true });
    const resumed = await store.resumeJobs(claimed.id, WITH_TRIGGER);
    expect(resumed?.played).toEqual(new Set(['child » deploy']));
    expect(resumed?.jobIds.get('child » deploy')).toBe(added.get('child » deploy'));
    // A plan without the trigger job does not explain the child's records: not the same pipeline file.
    expect(await store.resumeJobs(claimed.id, { ...WITH_TRIGGER, jobs: WITH_TRIGGER.jobs.filter((each) => each.kind !== 'trigger') })).toBeNull();
  });
});
