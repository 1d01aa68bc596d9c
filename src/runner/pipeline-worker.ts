import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ArchiveLimits } from '../forges/extract-archive.js';
import type { Forge } from '../forges/forge.js';
import type { ForgeName } from '../model/forge-event.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { ClaimedPipeline, PipelineQueue } from '../store/pipeline-queue.js';
import type { JobTokenStore } from '../store/job-token-store.js';
import type { WorkerRegistry } from '../store/worker-registry.js';
import type { PipelineStore, RecordedPipeline, ResumedPipeline } from '../store/pipeline-store.js';
import type { WaitingJobs } from '../store/waiting-jobs.js';
import type { RepositoryOwners } from '../store/repository-owners.js';
import { preparePlanThread } from '../pipeline/read/read-on-thread.js';
import { rerunSet, retriedJobOf, type ReusedJob } from '../pipeline/run/engine.js';
import type { PipelinePlan, PlanOptions } from '../pipeline/plan.js';
import type { ReviewAppStops } from './stop-review-apps.js';
import { abortReason, deadline } from '../util/within-time.js';
import { createIncludeFetcher, INCLUDES_TIMEOUT_MS, REMOTE_INCLUDE_TIMEOUT_MS } from './fetch-include.js';
import { executePipeline, type PipelineFacilities } from './execute-pipeline.js';
import { holdingLease, startClaimLoop } from './claim-loop.js';
import { removeDeadSourceFolders, SOURCE_DIR_PREFIX } from './source-folders.js';
import type { Reporter } from '../report/reporter.js';
import { refuse, type Checked } from '../model/refusal.js';
import { claimRepository, readPlan } from './prepare-pipeline.js';
import { deployPlan } from './deploy-plan.js';
import type { DeployJobContext } from '../model/deployment.js';

/** How long a source archive may take to arrive, all of it. */
const SOURCE_FETCH_TIMEOUT_MS = 180_000;

export interface WorkerOptions {
  workerId: string;
  queue: PipelineQueue;
  /** Where delayed jobs whose time has come are started (each once, whichever worker looks first). */
  waitingJobs?: Pick<WaitingJobs, 'startDue'>;
  /** Review apps past their `auto_stop_in`, stopped on the same rounds as delayed jobs start. */
  reviewApps?: Pick<ReviewAppStops, 'sweep'>;
  store: PipelineStore;
  forges: ReadonlyMap<ForgeName, Forge>;
  facilities: PipelineFacilities;
  reporter: Pick<Reporter, 'changed' | 'now'>;
  logger: Logger;
  metrics?: Metrics;
  registry: string;
  concurrency: number;
  /** Running pipelines one project may have across every worker (0: no cap). */
  maxPerProject?: number;
  /** May a fork's change request push its image? */
  allowForkPush: (project: string) => boolean;
  /** What a project's policy decides about which jobs wait for `/deploy` (see `deployRulesOf`). */
  deployRules?: (project: string) => Pick<PlanOptions, 'deployStage' | 'reviewEnvironments'>;
  /** What an approved deployment gives its deploy jobs (environment, image, variables); null when it is gone. */
  deployContext?: (deploymentId: number) => Promise<DeployJobContext | null>;
  /** Issues each pipeline's `CI_JOB_TOKEN`. */
  jobTokens?: JobTokenStore;
  /** One project per registry repository: a pipeline of another project with the same path is refused. */
  repositoryOwners?: RepositoryOwners;
  leaseMs?: number;
  pollMs?: number;
  /** What a forge archive may unpack to. */
  sourceLimits: ArchiveLimits;
  /** How long reading a pipeline file may take (on a thread of its own). */
  pipelineFileTimeoutMs: number;
  /** What a pipeline file's includes may reach: private projects by project, private addresses. */
  includes: { projects: (project: string) => readonly string[]; allowedAddresses: readonly string[] };
  /** How often to look for what dead workers left behind (dind daemons, folders). */
  recoveryIntervalMs?: number;
  /** Where this worker beats, and where it learns which others stopped: their daemons are removed on any machine. */
  liveness?: WorkerRegistry;
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

/** What a worker's steps share. */
interface WorkerState {
  options: WorkerOptions;
  log: Logger;
  leaseMs: number;
}

/**
 * A retry of one job keeps the earlier pipeline's results of every job that neither is it nor
 * waits for it; a job of a child its trigger job read as it ran is retried with its whole child.
 * When the plan no longer has that job, everything runs.
 */
async function reusedJobs({ options }: WorkerState, retry: { of: number; job: string }, plan: PipelinePlan): Promise<Map<string, ReusedJob> | undefined> {
  const retried = retriedJobOf(plan.jobs, retry.job);
  if (retried === undefined) return undefined;
  const again = rerunSet(plan.jobs, retried);
  const earlier = await options.store.reusableJobs(retry.of);
  return new Map([...earlier].filter(([name]) => !again.has(name) && plan.jobs.some((job) => job.name === name)));
}

/** What a claimed pipeline runs, recorded: its plan, and the results it keeps. */
interface PreparedRun {
  plan: PipelinePlan;
  recorded: RecordedPipeline;
  reuse?: Map<string, ReusedJob>;
  resumed?: ResumedPipeline;
  deploy?: DeployJobContext;
}

/**
 * A pipeline of the commit: new, or taken up again after a play (its own finished jobs stand),
 * or a retry of one job (the earlier pipeline's other results stand).
 */
async function pipelineToRun(state: WorkerState, claimed: ClaimedPipeline, plan: PipelinePlan): Promise<Checked<PreparedRun>> {
  const { options } = state;
  if (claimed.resume) {
    const resumed = await options.store.resumeJobs(claimed.id, plan);
    if (!resumed) return refuse(`the pipeline file at ${claimed.facts.sha.slice(0, 12)} no longer gives the jobs this pipeline started with, so a played job cannot continue it: run a new pipeline`);
    return { ok: true, plan, recorded: resumed, resumed, reuse: await options.store.reusableJobs(claimed.id) };
  }
  const recorded = await options.store.replaceJobs(claimed.id, plan);
  const reuse = claimed.retry ? await reusedJobs(state, claimed.retry, plan) : undefined;
  return { ok: true, plan, recorded, ...(reuse ? { reuse } : {}) };
}

/** An approved deployment's pipeline: the file's deploy jobs for its environment, after what the tested pipeline left. */
async function deployToRun({ options }: WorkerState, pipelineId: number, deploy: NonNullable<ClaimedPipeline['deploy']>, plan: PipelinePlan): Promise<Checked<PreparedRun>> {
  const context = await options.deployContext?.(deploy.deploymentId);
  if (!context) return refuse(`deployment #${deploy.deploymentId} is not being carried out, so its deploy jobs do not run`);
  const planned = deployPlan(plan, context, await options.store.reusableJobs(deploy.testedPipelineId));
  if (!planned.ok) return planned;
  return { ok: true, plan: planned.plan, recorded: await options.store.replaceJobs(pipelineId, planned.plan), reuse: planned.reuse, deploy: context };
}

/** The commit's files from its forge, within the time an archive may take: the archive's notes, or why not. */
async function fetchSource(claimed: ClaimedPipeline, forge: Forge, sourceDir: string, limits: ArchiveLimits, signal: AbortSignal): Promise<Checked<{ notes: string[] }>> {
  const within = deadline(SOURCE_FETCH_TIMEOUT_MS, signal);
  try {
    return { ok: true, notes: await forge.fetchSource(claimed.target, claimed.facts.sha, sourceDir, limits, within) };
  } catch (error) {
    const why = within.aborted && !signal.aborted ? abortReason(within, SOURCE_FETCH_TIMEOUT_MS) : error instanceof Error ? error.message : String(error);
    return refuse(`could not fetch the source at ${claimed.facts.sha.slice(0, 12)}: ${why}`);
  }
}

/** Fetch, read, claim the repository, record the jobs, issue the token, run: what one claimed pipeline goes through. */
async function execute(state: WorkerState, claimed: ClaimedPipeline, sourceDir: string, signal: AbortSignal): Promise<void> {
  const { options, log } = state;
  const fail = async (reason: string) => void (await options.store.fail(claimed.id, reason, options.workerId));
  // A fetch or a reading cut short by a cancel failed because of it: the pipeline ends canceled instead.
  const failUnlessCanceled = async (reason: string) => (signal.aborted ? undefined : fail(reason));
  const forge = options.forges.get(claimed.target.forge);
  if (!forge) return fail(`Slipway has no ${claimed.target.forge} configuration on this worker`);
  const source = await fetchSource(claimed, forge, sourceDir, options.sourceLimits, signal);
  if (!source.ok) return failUnlessCanceled(source.reason);
  const facts = { ...claimed.facts, registry: options.registry };
  const includes = () => createIncludeFetcher({
    forge,
    target: claimed.target,
    sha: claimed.facts.sha,
    // All of a reading's includes share one deadline, and a cancel ends them at once.
    signal: deadline(INCLUDES_TIMEOUT_MS, signal),
    includeProjects: options.includes.projects(claimed.target.project),
    remote: { timeoutMs: REMOTE_INCLUDE_TIMEOUT_MS, allowedAddresses: options.includes.allowedAddresses },
  });
  const planOptions = { ...options.facilities.planOptions, ...options.deployRules?.(claimed.target.project) };
  const read = await readPlan(sourceDir, facts, { timeoutMs: options.pipelineFileTimeoutMs, plan: planOptions, includes }, source.notes);
  if (!read.ok) return failUnlessCanceled(read.reason);
  const { plan } = read;
  if (plan.skipped !== undefined) {
    await options.store.replaceJobs(claimed.id, plan);
    await options.store.skip(claimed.id, plan.skipped, options.workerId);
    log.info({ pipelineId: claimed.id, reason: plan.skipped }, 'pipeline skipped by its workflow rules');
    return;
  }
  const claim = await claimRepository(options.repositoryOwners, claimed.target);
  if (!claim.ok) return fail(claim.reason);
  const prepared = claimed.deploy ? await deployToRun(state, claimed.id, claimed.deploy, plan) : await pipelineToRun(state, claimed, plan);
  if (!prepared.ok) return fail(prepared.reason);
  const { recorded, reuse, resumed, deploy } = prepared;
  options.reporter.changed(claimed.id);
  // A deploy job may pull the project's images (the one it deploys), never push one.
  const pushAllowed = !deploy && (!claimed.facts.fromFork || options.allowForkPush(claimed.target.project));
  const jobToken = await options.jobTokens?.issue({ pipelineId: claimed.id, repository: claim.repository, actions: pushAllowed ? ['pull', 'push'] : ['pull'], leaseOwner: options.workerId });
  const changed = () => options.reporter.changed(claimed.id);
  const { result, finished } = await executePipeline(
    {
      facts,
      sourceDir,
      plan: prepared.plan,
      pushAllowed,
      jobToken,
      ...(reuse ? { reuse } : {}),
      ...(resumed ? { played: resumed.played, unscheduled: resumed.unscheduled } : {}),
      ...(deploy ? { deploy } : {}),
      readChild: read.readChild,
      record: { store: options.store, recorded, owner: options.workerId },
      observer: { jobStarted: changed, jobFinished: changed },
      signal,
    },
    options.facilities,
  );
  if (finished) {
    options.metrics?.pipelinesFinished.inc({ status: result.status });
    log.info({ pipelineId: claimed.id, status: result.status, durationMs: result.durationMs }, 'pipeline finished');
  }
}

/** Runs one claimed pipeline in a folder of its own, and leaves nothing of it: no folder, no valid job token. */
async function executeIn(state: WorkerState, claimed: ClaimedPipeline, signal: AbortSignal): Promise<void> {
  const sourceDir = await mkdtemp(path.join(os.tmpdir(), `${SOURCE_DIR_PREFIX}${process.pid}-${claimed.id}-`));
  try {
    await execute(state, claimed, sourceDir, signal);
  } finally {
    await state.options.jobTokens
      ?.revoke(claimed.id, state.options.workerId)
      .catch((error: unknown) => state.log.warn({ err: error, pipelineId: claimed.id }, 'could not revoke the job token'));
    await rm(sourceDir, { recursive: true, force: true });
  }
}

/** Removes what dead workers left behind: source folders here, and their daemons on any machine. */
async function recover({ options, log, leaseMs }: WorkerState): Promise<void> {
  await removeDeadSourceFolders(os.tmpdir()).catch((error: unknown) => log.warn({ err: error }, 'could not clean dead workers’ source folders'));
  // A worker silent for a whole lease is dead: its pipelines are taken over, its daemons go.
  const deadOwners = options.liveness ? (owners: string[]) => options.liveness!.dead(owners, leaseMs) : undefined;
  await options.liveness?.forgetLongDead().catch(() => undefined);
  const removed = await options.facilities.executor.recoverOrphans?.(deadOwners).catch((error: unknown) => {
    log.warn({ err: error }, 'could not look for orphaned dind daemons');
    return [];
  });
  if (removed && removed.length > 0) log.info({ pipelines: removed }, 'removed dind daemons left by a dead worker');
}

/** One claimed pipeline under its lease: renewed while it runs, canceled when the lease says so or is lost. */
async function runClaimed(state: WorkerState, running: Map<number, AbortController>, claimed: ClaimedPipeline): Promise<void> {
  const { options, log, leaseMs } = state;
  const controller = new AbortController();
  running.set(claimed.id, controller);
  // Taking over from a dead worker: its daemon may still be running this pipeline's jobs.
  if (claimed.attempts > 1) await recover(state);
  log.info({ pipelineId: claimed.id, project: claimed.target.project, sha: claimed.facts.sha, attempt: claimed.attempts }, 'pipeline claimed');
  // The renewal is also where a cancellation is noticed, if its notification was missed.
  const renew = async () => {
    const lease = await options.queue.renewLease(claimed.id, options.workerId, leaseMs);
    if (lease?.cancelRequested) controller.abort(new Error(lease.reason ?? 'canceled'));
    return lease !== null;
  };
  try {
    // Reporting never holds up the pipeline: a forge outage delays the comment, not the tests.
    void options.reporter.now(claimed.id);
    await holdingLease(
      leaseMs,
      renew,
      () => controller.abort(new Error('the lease was lost to another worker')),
      (error) => log.warn({ err: error, pipelineId: claimed.id }, 'lease renewal failed'),
      () => executeIn(state, claimed, controller.signal),
    );
  } catch (error) {
    log.error({ err: error, pipelineId: claimed.id }, 'pipeline crashed; its lease will expire and it will be retried');
  } finally {
    running.delete(claimed.id);
    if (controller.signal.aborted) await options.queue.markCanceled(claimed.id, options.workerId).catch(() => false);
    void options.reporter.now(claimed.id);
  }
}

/**
 * Claims pipelines from PostgreSQL and runs them, at most `concurrency` at a time. A lease,
 * renewed while a pipeline runs, lets another worker take over when this one dies; the
 * renewal is also where a cancellation (a newer commit) is noticed.
 */
export function startWorker(options: WorkerOptions): Worker {
  const state: WorkerState = { options, log: options.logger.child({ workerId: options.workerId }), leaseMs: options.leaseMs ?? 30_000 };
  const { log, leaseMs } = state;
  const running = new Map<number, AbortController>();
  preparePlanThread();

  // Beating a few times a lease: one slow beat does not make a live worker look dead.
  const beat = () => options.liveness?.beat(options.workerId).catch((error: unknown) => log.warn({ err: error }, 'could not record this worker’s heartbeat'));
  void beat();
  const heartbeat = options.liveness ? setInterval(() => void beat(), Math.max(250, Math.floor(leaseMs / 3))) : undefined;

  let lastRecovery = 0;
  const loop = startClaimLoop({
    concurrency: options.concurrency,
    pollMs: options.pollMs ?? 1_000,
    async beforeRound() {
      if (Date.now() - lastRecovery > (options.recoveryIntervalMs ?? 30_000)) {
        lastRecovery = Date.now();
        await recover(state);
      }
      for (const pipelineId of await options.queue.sweep()) options.reporter.changed(pipelineId);
      for (const pipelineId of (await options.waitingJobs?.startDue()) ?? []) options.reporter.changed(pipelineId);
      await options.reviewApps?.sweep();
    },
    claim: () => options.queue.claim(options.workerId, leaseMs, options.maxPerProject ?? 0),
    run: (claimed) => runClaimed(state, running, claimed),
    onError: (error) => log.warn({ err: error }, 'claiming pipelines failed; trying again'),
  });
  return {
    wake: loop.wake,
    cancel(pipelineId) {
      running.get(pipelineId)?.abort(new Error('canceled'));
    },
    recover: () => recover(state),
    async stop() {
      await loop.stop();
      clearInterval(heartbeat);
      await options.liveness?.leave(options.workerId).catch(() => undefined);
    },
  };
}
