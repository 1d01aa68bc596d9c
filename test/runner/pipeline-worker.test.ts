import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Forge } from '../../src/forges/forge.js';
import { NULL_FORGE } from '../../src/forges/null-forge.js';
import type { ForgeName } from '../../src/model/forge-event.js';
import type { JobResult, PipelineResult } from '../../src/pipeline/run/engine.js';
import type { PipelinePlan } from '../../src/pipeline/plan.js';
import { startWorker, type Worker } from '../../src/runner/pipeline-worker.js';
import type { ClaimedPipeline, PipelineQueue } from '../../src/store/pipeline-queue.js';
import type { PipelineStore, RecordedPipeline } from '../../src/store/pipeline-store.js';
import type { RepositoryOwners } from '../../src/store/repository-owners.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { FakeExecutor } from '../helpers/fake-executor.js';
import { waitFor } from '../helpers/wait-for.js';

// The worker's claim, lease and report flow against stores that live in memory and an executor
// that runs nothing: what it records, when it gives up a pipeline, how a cancel reaches it.

const notUsed = (name: string) => () => Promise.reject(new Error(`the worker should not call ${name}`));

/** A queue holding the pipelines a test lines up, with leases the test can take back or cancel. */
class FakeQueue implements PipelineQueue {
  readonly waiting: ClaimedPipeline[] = [];
  readonly canceled: number[] = [];
  /** What the next renewals of a pipeline's lease answer. */
  readonly leases = new Map<number, { cancelRequested: boolean; reason: string | null } | null>();
  accept = notUsed('accept');
  retry = notUsed('retry');
  requestCancel = notUsed('requestCancel');
  recordCommand = notUsed('recordCommand');
  noteCommand = notUsed('noteCommand');
  async claim(): Promise<ClaimedPipeline | null> {
    return this.waiting.shift() ?? null;
  }
  async renewLease(pipelineId: number) {
    return this.leases.has(pipelineId) ? this.leases.get(pipelineId)! : { cancelRequested: false, reason: null };
  }
  async sweep() {
    return [];
  }
  async markCanceled(pipelineId: number) {
    this.canceled.push(pipelineId);
    return true;
  }
}

/** A record of pipelines kept in memory: what the worker wrote, in order. */
class FakeStore implements PipelineStore {
  readonly writes: string[] = [];
  readonly results = new Map<number, PipelineResult>();
  readonly jobs = new Map<number, JobResult>();
  create = notUsed('create');
  resumeJobs = notUsed('resumeJobs');
  addJobs = notUsed('addJobs');
  expiredArtifacts = notUsed('expiredArtifacts');
  forgetArtifacts = notUsed('forgetArtifacts');
  async replaceJobs(pipelineId: number, plan: PipelinePlan): Promise<RecordedPipeline> {
    this.writes.push(`jobs ${pipelineId}: ${plan.jobs.map((job) => job.name).join(', ')}`);
    return { id: pipelineId, jobIds: new Map(plan.jobs.map((job, index) => [job.name, pipelineId * 100 + index])) };
  }
  async fail(pipelineId: number, error: string) {
    this.writes.push(`failed ${pipelineId}: ${error}`);
    return true;
  }
  async skip(pipelineId: number, reason: string) {
    this.writes.push(`skipped ${pipelineId}: ${reason}`);
    return true;
  }
  async markJobRunning() {}
  async finishJob(jobId: number, result: JobResult) {
    this.jobs.set(jobId, result);
  }
  async saveServiceLogs() {}
  async saveArtifacts() {}
  async reusableJobs() {
    return new Map();
  }
  async appendLog() {}
  async finish(pipelineId: number, result: PipelineResult) {
    this.writes.push(`finished ${pipelineId}: ${result.status}`);
    this.results.set(pipelineId, result);
    return true;
  }
}

/** A forge whose archive of every commit holds `files`. */
function forgeWith(files: Record<string, string>): Forge {
  return {
    ...NULL_FORGE,
    name: 'gitlab',
    async fetchSource(_target, _sha, dir) {
      for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
      return [];
    },
  };
}

let nextId = 0;
function claimed(overrides: Partial<ClaimedPipeline> = {}): ClaimedPipeline {
  nextId += 1;
  return {
    id: nextId,
    facts: { id: String(nextId), forge: 'gitlab', project: 'group/app', sha: 'c0ffee'.padEnd(40, '0'), ref: 'main', defaultBranch: 'main', changeRequest: null, fromFork: false, diffBase: null, forgeProtectedRefs: [] },
    target: { forge: 'gitlab', project: 'group/app', apiContext: { projectId: '7' } },
    attempts: 1,
    retry: null,
    resume: false,
    deploy: null,
    ...overrides,
  };
}

const workers: Worker[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop();
});

function start(files: Record<string, string>, settings: { executor?: FakeExecutor; concurrency?: number; owners?: RepositoryOwners } = {}) {
  const queue = new FakeQueue();
  const store = new FakeStore();
  const executor = settings.executor ?? new FakeExecutor();
  const reports: number[] = [];
  const worker = startWorker({
    workerId: 'test-worker/1',
    queue,
    store,
    forges: new Map<ForgeName, Forge>([['gitlab', forgeWith(files)]]),
    facilities: { executor, secrets: [], jobTimeoutMs: 60_000, logger: createLogger('silent'), planOptions: {} },
    reporter: { changed: (id) => void reports.push(id), now: async (id) => void reports.push(id) },
    logger: createLogger('silent'),
    registry: 'registry.test',
    concurrency: settings.concurrency ?? 2,
    allowForkPush: () => false,
    ...(settings.owners ? { repositoryOwners: settings.owners } : {}),
    leaseMs: 300,
    pollMs: 20,
    sourceLimits: { maxBytes: 1_000_000, maxFiles: 100 },
    pipelineFileTimeoutMs: 10_000,
    includes: { projects: () => [], allowedAddresses: [] },
    recoveryIntervalMs: 3_600_000,
  });
  workers.push(worker);
  return { queue, store, executor, reports, worker };
}

const TWO_STAGES = 'image: debian:bookworm\ncompile: { stage: build, script: [make] }\nunit: { stage: test, script: [make test] }\n';

/** A worker running one pipeline whose first job hangs until it is stopped: what it does next is the test's to decide. */
async function startHanging(settings: { concurrency?: number } = {}) {
  const executor = new FakeExecutor().script('compile', { hang: true });
  const started = start({ '.gitlab-ci.yml': TWO_STAGES }, { executor, ...settings });
  const pipeline = claimed();
  started.queue.waiting.push(pipeline);
  started.worker.wake();
  await executor.startOf('compile');
  return { ...started, pipeline };
}

describe('a worker', () => {
  it('claims a pipeline, reads its file, records its jobs, runs them and records the end, reporting as it goes', async () => {
    const { queue, store, executor, reports, worker } = start({ '.gitlab-ci.yml': TWO_STAGES });
    const pipeline = claimed();
    queue.waiting.push(pipeline);
    worker.wake();

    await waitFor('the pipeline’s end', () => store.results.has(pipeline.id), 5_000);
    expect(store.writes).toEqual([`jobs ${pipeline.id}: compile, unit`, `finished ${pipeline.id}: passed`]);
    expect(executor.names('start')).toEqual(['compile', 'unit']);
    expect([...store.jobs.values()].map((job) => job.status)).toEqual(['passed', 'passed']);
    expect(reports.filter((id) => id === pipeline.id).length).toBeGreaterThanOrEqual(4);
    expect(queue.canceled).toEqual([]);
  });

  it('fails a pipeline whose file is wrong with the line to fix, and starts nothing', async () => {
    const { queue, store, executor, worker } = start({ '.gitlab-ci.yml': 'image: debian:bookworm\nunit:\n  stage: nowhere\n  script: [make]\n' });
    const pipeline = claimed();
    queue.waiting.push(pipeline);
    worker.wake();

    await waitFor('a write', () => store.writes.length > 0, 5_000);
    expect(store.writes).toEqual([`failed ${pipeline.id}: .gitlab-ci.yml: unit.stage "nowhere" is not one of the stages: build, test, deploy (line 3)`]);
    expect(executor.events).toEqual([]);
  });

  it('records a pipeline its workflow rules leave out as skipped, with why', async () => {
    const { queue, store, executor, worker } = start({ '.gitlab-ci.yml': `workflow:\n  rules:\n    - if: $CI_COMMIT_BRANCH == "release"\n${TWO_STAGES}` });
    const pipeline = claimed();
    queue.waiting.push(pipeline);
    worker.wake();

    await waitFor('the skip', () => store.writes.some((write) => write.startsWith('skipped')), 5_000);
    expect(store.writes.at(-1)).toMatch(new RegExp(`^skipped ${pipeline.id}: `));
    expect(executor.events).toEqual([]);
  });

  it('refuses a pipeline whose registry repository another forge’s project owns, naming both', async () => {
    const owners: RepositoryOwners = { claim: async () => ({ forge: 'github', project: 'group/app' }) };
    const { queue, store, executor, worker } = start({ '.gitlab-ci.yml': TWO_STAGES }, { owners });
    const pipeline = claimed();
    queue.waiting.push(pipeline);
    worker.wake();

    await waitFor('a write', () => store.writes.length > 0, 5_000);
    expect(store.writes).toEqual([`failed ${pipeline.id}: the registry repository group/app belongs to github:group/app, so gitlab:group/app cannot push there: one project per repository (rename one of them, or run this one on another Slipway)`]);
    expect(executor.events).toEqual([]);
  });

  it('stops a pipeline whose lease renewal says it was canceled, and marks it canceled', async () => {
    const { queue, store, executor, pipeline } = await startHanging();
    queue.leases.set(pipeline.id, { cancelRequested: true, reason: 'superseded by a newer commit' });

    await waitFor('the cancel', () => queue.canceled.includes(pipeline.id), 5_000);
    const result = store.results.get(pipeline.id)!;
    expect(result.status).toBe('canceled');
    expect(result.jobs.map((job) => [job.name, job.status, job.error])).toEqual([
      ['compile', 'canceled', 'pipeline canceled'],
      ['unit', 'canceled', 'pipeline canceled'],
    ]);
    expect(executor.events.at(-1)).toEqual({ type: 'close' });
  });

  it('gives a pipeline up at once when its lease goes to another worker', async () => {
    const { queue, store, pipeline } = await startHanging();
    queue.leases.set(pipeline.id, null);

    await waitFor('the cancel', () => queue.canceled.includes(pipeline.id), 5_000);
    expect(store.results.get(pipeline.id)?.status).toBe('canceled');
  });

  it('cancels a pipeline it runs when told to, and goes on claiming', async () => {
    const executor = new FakeExecutor().script('compile', { hang: true });
    const { queue, store, worker } = start({ '.gitlab-ci.yml': TWO_STAGES }, { executor, concurrency: 1 });
    const first = claimed();
    const second = claimed();
    queue.waiting.push(first, second);
    worker.wake();
    await executor.startOf('compile');
    // One at a time: the second waits while the first runs.
    expect(store.writes).toEqual([`jobs ${first.id}: compile, unit`]);
    executor.script('compile', {});
    worker.cancel(first.id);

    await waitFor('the second pipeline’s end', () => store.results.has(second.id), 5_000);
    expect(queue.canceled).toEqual([first.id]);
    expect(store.results.get(first.id)?.status).toBe('canceled');
    expect(store.results.get(second.id)?.status).toBe('passed');
  });
});
