import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { readPipelinePlan } from './read-pipeline-file.js';
import { recordPipeline } from './record-pipeline.js';
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
}

export interface Worker {
  /** Look for work now instead of at the next poll (a webhook just queued a pipeline). */
  wake(): void;
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
  let stopped = false;
  let wakeUp: (() => void) | undefined;

  async function execute(claimed: ClaimedPipeline, signal: AbortSignal): Promise<void> {
    const forge = options.forges.get(claimed.target.forge as ForgeName);
    if (!forge) {
      await options.store.fail(claimed.id, `Slipway has no ${claimed.target.forge} configuration on this worker`, options.workerId);
      return;
    }
    const sourceDir = await mkdtemp(path.join(os.tmpdir(), `slipway-${claimed.id}-`));
    try {
      try {
        await forge.fetchSource(claimed.target, claimed.sha, sourceDir);
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
        plan = await readPipelinePlan(sourceDir, predefinedVariables(facts));
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
      const jobToken = await options.jobTokens?.issue({ pipelineId: claimed.id, repository, actions: pushAllowed ? ['pull', 'push'] : ['pull'] });
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
      await rm(sourceDir, { recursive: true, force: true });
    }
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
      if (controller.signal.aborted) await options.queue.markCanceled(claimed.id, options.workerId).catch(() => false);
      void options.reporter.now(claimed.id);
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
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
    async stop() {
      stopped = true;
      wakeUp?.();
      await looping;
      await Promise.all([...active]);
    },
  };
}
