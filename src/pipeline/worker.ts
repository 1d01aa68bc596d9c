import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArchiveLimits } from '../forges/extract-archive.js';
import type { Forge, ForgeName } from '../forges/forge.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ClaimedPipeline, PipelineQueue } from '../store/pipeline-queue.js';
import type { JobTokenStore } from '../store/job-token-store.js';
import type { PipelineStore } from '../store/pipeline-store.js';
import { combineObservers } from './combine-observers.js';
import { runPipeline, type ImageResult, type PipelineObserver } from './engine.js';
import { PROJECT_DIR, type Executor } from './executor.js';
import { repositoryPath } from './image-names.js';
import { predefinedVariables } from './predefined-variables.js';
import { PipelineFileError } from './pipeline-file-error.js';
import { readPipelinePlanWithin } from './read-plan-within.js';
import { recordPipeline } from './record-pipeline.js';
import { removeDeadSourceFolders, SOURCE_DIR_PREFIX } from './source-folders.js';
import type { Reporter } from './report/reporter.js';

export interface WorkerOptions {
  workerId: string;
  queue: PipelineQueue;
  store: PipelineStore;
  forges: ReadonlyMap<ForgeName, Forge>;
  executor: Executor;
  reporter: Reporter;
  logger: Logger;
  metrics?: Metrics;
  registry: string;
  secrets: string[];
  jobTimeoutMs: number;
  concurrency: number;
  /** May a fork's change request push its image? */
  allowForkPush: (project: string) => boolean;
  /** Issues each pipeline's `CI_JOB_TOKEN`. */
  jobTokens?: JobTokenStore;
  /** The image a pipeline pushed itself (a `.gitlab-ci.yml` build job), so `/deploy` can promote it. */
  findPushedImage?: (repository: string, tags: string[]) => Promise<{ ref: string; digest: string } | null>;
  leaseMs?: number;
  pollMs?: number;
  /** What a forge archive may unpack to. */
  sourceLimits: ArchiveLimits;
  /** How long reading a pipeline file may take (on a thread of its own). */
  pipelineFileTimeoutMs: number;
  /** How often to look for what dead workers left behind (dind daemons, folders). */
  recoveryIntervalMs?: number;
}

export interface Worker {
  /** Look for work now instead of at the next poll (a webhook just queued a pipeline). */
  wake(): void;
  /** A pipeline was canceled: stop it now if it runs here (the lease renewal would notice too, later). */
  cancel(pipelineId: number): void;
  /** Removes what dead workers left behind: dind daemons, source and socket folders. */
  recover(): Promise<void>;
  /** Stops claiming, cancels nothing: pipelines under way finish first. */
  stop(): Promise<void>;
}

/**
 * Claims pipelines from PostgreSQL and runs them, at most `concurrency` at a time. A lease,
 * renewed while a pipeline runs, lets another worker take over when this one dies; the
 * renewal is also where a cancellation (a newer commit) is noticed.
 */
export function startWorker(options: WorkerOptions): Worker {
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 1_000;
  const log = options.logger.child({ workerId: options.workerId });
  const active = new Set<Promise<void>>();
  const running = new Map<number, AbortController>();
  let stopped = false;
  let wakeUp: (() => void) | undefined;

  async function execute(claimed: ClaimedPipeline, signal: AbortSignal): Promise<void> {
    const forge = options.forges.get(claimed.target.forge as ForgeName);
    if (!forge) {
      await options.store.fail(claimed.id, `Slipway has no ${claimed.target.forge} configuration on this worker`, options.workerId);
      return;
    }
    const sourceDir = await mkdtemp(path.join(os.tmpdir(), `${SOURCE_DIR_PREFIX}${process.pid}-${claimed.id}-`));
    let archiveNotes: string[];
    try {
      try {
        archiveNotes = await forge.fetchSource(claimed.target, claimed.sha, sourceDir, options.sourceLimits);
      } catch (error) {
        if (!signal.aborted) await options.store.fail(claimed.id, `could not fetch the source at ${claimed.sha.slice(0, 12)}: ${error instanceof Error ? error.message : String(error)}`, options.workerId);
        return;
      }
      const facts = {
        pipelineId: String(claimed.id),
        project: claimed.target.project,
        sha: claimed.sha,
        ref: claimed.ref,
        defaultBranch: claimed.defaultBranch,
        changeRequest: claimed.changeRequest,
        registry: options.registry,
        projectDir: PROJECT_DIR,
      };
      let plan;
      try {
        plan = await readPipelinePlanWithin(sourceDir, predefinedVariables(facts), options.pipelineFileTimeoutMs);
        if (archiveNotes.length > 0) plan = { ...plan, notes: [...(plan.notes ?? []), ...archiveNotes] };
      } catch (error) {
        if (!(error instanceof PipelineFileError)) throw error;
        await options.store.fail(claimed.id, error.message, options.workerId);
        return;
      }
      const recorded = await options.store.replaceJobs(claimed.id, plan);
      options.reporter.changed(claimed.id);
      const recorder = recordPipeline(options.store, recorded);
      const reporting: PipelineObserver = {
        jobStarted: () => options.reporter.changed(claimed.id),
        jobFinished: () => options.reporter.changed(claimed.id),
      };
      const pushAllowed = !claimed.fromFork || options.allowForkPush(claimed.target.project);
      const repository = repositoryPath(claimed.target.project);
      const jobToken = await options.jobTokens?.issue({ pipelineId: claimed.id, repository, actions: pushAllowed ? ['pull', 'push'] : ['pull'], leaseOwner: options.workerId });
      let result = await runPipeline(
        {
          id: String(claimed.id),
          project: claimed.target.project,
          sha: claimed.sha,
          ref: claimed.ref,
          defaultBranch: claimed.defaultBranch,
          sourceDir,
          plan,
          registry: options.registry,
          pushAllowed,
          // A fork's code never sees the server's secrets, masked or not.
          secrets: options.secrets,
          jobTimeoutMs: options.jobTimeoutMs,
          changeRequest: claimed.changeRequest,
          jobToken,
          ...(pushAllowed ? {} : { skipJobs: Object.fromEntries(plan.jobs.filter((job) => job.kind === 'build').map((job) => [job.name, 'skipped: forks push no image'])) }),
        },
        options.executor,
        combineObservers(recorder.observer, reporting),
        signal,
      );
      await recorder.settled();
      if (result.status === 'passed' && !result.image && !plan.jobs.some((job) => job.kind === 'build') && options.findPushedImage) {
        result = { ...result, image: await pushedImage(repository, claimed.sha) };
      }
      if (await options.store.finish(claimed.id, result, options.workerId)) {
        options.metrics?.pipelinesFinished.inc({ status: result.status });
        log.info({ pipelineId: claimed.id, status: result.status, durationMs: result.durationMs }, 'pipeline finished');
      }
    } finally {
      await options.jobTokens?.revoke(claimed.id).catch((error: unknown) => log.warn({ err: error, pipelineId: claimed.id }, 'could not revoke the job token'));
      await rm(sourceDir, { recursive: true, force: true });
    }
  }

  async function recover(): Promise<void> {
    await removeDeadSourceFolders(os.tmpdir()).catch((error: unknown) => log.warn({ err: error }, 'could not clean dead workers’ source folders'));
    const removed = await options.executor.recoverOrphans?.().catch((error: unknown) => {
      log.warn({ err: error }, 'could not look for orphaned dind daemons');
      return [];
    });
    if (removed && removed.length > 0) log.info({ pipelines: removed }, 'removed dind daemons left by a dead worker');
  }

  /** `:<sha>` or GitLab's `:<short sha>`, as a `.gitlab-ci.yml` build job tags it. */
  async function pushedImage(repository: string, sha: string): Promise<ImageResult | null> {
    const tags = [sha, sha.slice(0, 8)];
    try {
      const found = await options.findPushedImage!(repository, tags);
      return found ? { ...found, tags, pushed: true, totalSteps: 0, cachedSteps: 0 } : null;
    } catch (error) {
      log.warn({ err: error, repository }, 'could not look for the image the pipeline pushed');
      return null;
    }
  }

  async function run(claimed: ClaimedPipeline): Promise<void> {
    const controller = new AbortController();
    running.set(claimed.id, controller);
    // Taking over from a dead worker: its daemon may still be running this pipeline's jobs.
    if (claimed.attempts > 1) await recover();
    const renew = setInterval(() => {
      options.queue.renewLease(claimed.id, options.workerId, leaseMs).then(
        (lease) => {
          if (!lease) controller.abort(new Error('the lease was lost to another worker'));
          else if (lease.cancelRequested) controller.abort(new Error(lease.reason ?? 'canceled'));
        },
        (error: unknown) => log.warn({ err: error, pipelineId: claimed.id }, 'lease renewal failed'),
      );
    }, Math.max(100, Math.floor(leaseMs / 3)));
    log.info({ pipelineId: claimed.id, project: claimed.target.project, sha: claimed.sha, attempt: claimed.attempts }, 'pipeline claimed');
    try {
      // Reporting never holds up the pipeline: a forge outage delays the comment, not the tests.
      void options.reporter.now(claimed.id);
      await execute(claimed, controller.signal);
    } catch (error) {
      log.error({ err: error, pipelineId: claimed.id }, 'pipeline crashed; its lease will expire and it will be retried');
    } finally {
      clearInterval(renew);
      running.delete(claimed.id);
      if (controller.signal.aborted) await options.queue.markCanceled(claimed.id, options.workerId).catch(() => false);
      void options.reporter.now(claimed.id);
    }
  }

  async function loop(): Promise<void> {
    let lastRecovery = 0;
    while (!stopped) {
      if (Date.now() - lastRecovery > (options.recoveryIntervalMs ?? 30_000)) {
        lastRecovery = Date.now();
        await recover();
      }
      try {
        for (const pipelineId of await options.queue.sweep()) options.reporter.changed(pipelineId);
        while (!stopped && active.size < options.concurrency) {
          const claimed = await options.queue.claim(options.workerId, leaseMs);
          if (!claimed) break;
          const running = run(claimed).finally(() => {
            active.delete(running);
            wakeUp?.();
          });
          active.add(running);
        }
      } catch (error) {
        log.warn({ err: error }, 'claiming pipelines failed; trying again');
      }
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        void sleep(pollMs).then(resolve);
      });
      wakeUp = undefined;
    }
  }

  const looping = loop();
  return {
    wake: () => wakeUp?.(),
    cancel(pipelineId) {
      running.get(pipelineId)?.abort(new Error('canceled'));
    },
    recover,
    async stop() {
      stopped = true;
      wakeUp?.();
      await looping;
      await Promise.all([...active]);
    },
  };
}
