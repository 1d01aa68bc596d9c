import { PROJECT_DIR } from '../plan.js';
import { type BuildOutcome, type ExecutionEnvironment, type Executor, type JobContext, type JobFile, type ServiceLog } from '../executor.js';
import { formatDuration, formatWait } from '../../util/format-duration.js';
import { imageTags } from '../image-names.js';
import { createMasker, maskText } from '../../util/mask-secrets.js';
import type { PipelineFacts } from '../../model/pipeline-facts.js';
import type { PipelineTrust } from '../executor.js';
import type { JobStatus, PipelineOutcome } from '../../model/status.js';
import type { BuildJobSpec, JobSpec, PipelinePlan, ScriptJobSpec, TriggerJobSpec } from '../plan.js';
import { childFileOf } from './generated-child.js';
import { expandVariables, JOB_TOKEN_USER, predefinedVariables } from '../predefined-variables.js';
import { createCoverageReader } from './read-coverage.js';
import { resolveServices } from '../services.js';
import { variablesAsEnv, type CiVariable } from '../../model/ci-variable.js';
import type { ArtifactSettings, SavedArtifacts } from '../artifact-store.js';
import type { ResourceGroups } from '../resource-groups.js';
import { collectOutputs, createLedger, dotenvFor, jobInputs, type ArtifactLedger } from './job-artifacts.js';

export type { JobStatus } from '../../model/status.js';

export interface JobResult {
  name: string;
  kind: JobSpec['kind'];
  status: JobStatus;
  exitCode: number | null;
  durationMs: number;
  error?: string;
  /** What the job's services printed, masked. */
  services?: ServiceLog[];
  /** Percent, from the job's `coverage` pattern. */
  coverage?: number;
  /** A failure its `allow_failure` allows: shown as failed, and the pipeline may pass. */
  failureAllowed?: boolean;
}

export type ImageResult = BuildOutcome & { tags: string[]; pushed: boolean };

export interface PipelineResult {
  status: PipelineOutcome;
  jobs: JobResult[];
  image: ImageResult | null;
  error?: string;
  durationMs: number;
  /** The executor had prepared its place ahead (a daemon seeded for this project). */
  warm?: boolean;
}

export interface PipelineRun {
  facts: PipelineFacts;
  sourceDir: string;
  plan: PipelinePlan;
  /** False for untrusted sources (forks): the image is built but not pushed. */
  pushAllowed: boolean;
  /** Values masked in every line of output and every error. */
  secrets: string[];
  jobTimeoutMs: number;
  /** Extra variables for every job, before the job's own. */
  env?: Record<string, string>;
  /** Jobs not to run, with the reason shown for each (a fork's build, say); they do not fail the pipeline. */
  skipJobs?: Record<string, string>;
  /** This pipeline's registry credential (`CI_JOB_TOKEN`); masked like the secrets. */
  jobToken?: string;
  /** The project's CI/CD variables this pipeline may have, already chosen for its ref; masked ones are masked. */
  variables?: ReadonlyArray<Pick<CiVariable, 'name' | 'value' | 'masked' | 'file'>>;
  /** Where `resource_group` jobs take turns; without it, they do not wait for each other. */
  resourceGroups?: ResourceGroups;
  /** Where artifacts and caches go; without it, jobs' `artifacts` and `cache` keep nothing (said in their logs). */
  artifacts?: ArtifactSettings;
  /** Passed to the executor: which earlier pipelines' preparation this one may reuse. */
  affinity?: string;
  /** The trust the pipeline runs at (`fork`, `unprotected`, `protected`): where it may run, on several hosts. */
  trust?: PipelineTrust;
  /** Of the build's cache images, those this pipeline may build from (a protected build takes none an unprotected one wrote). */
  trustedCache?: (candidates: string[]) => Promise<string[]>;
  /**
   * Jobs not run again, with what they did in an earlier pipeline (a retry of one failed
   * job) or earlier in this one (before a person played a manual job): their results stand,
   * their artifacts and dotenv reach the jobs that take them.
   */
  reuse?: ReadonlyMap<string, ReusedJob>;
  /** Manual and delayed jobs that run this time: a person played them, or their time came. */
  played?: ReadonlySet<string>;
  /** Delayed jobs a person unscheduled: they wait to be played, as manual jobs do. */
  unscheduled?: ReadonlySet<string>;
  /**
   * Reads the child pipeline a trigger job makes of an earlier job's artifact, from that file's
   * text (see TriggerJobSpec); throws a PipelineFileError naming what is wrong with it.
   */
  readChild?: (trigger: TriggerJobSpec, text: string) => Promise<PipelinePlan>;
}

/** A job's outcome carried over from the pipeline it was retried from. */
export interface ReusedJob {
  fromPipeline: string;
  result: Omit<JobResult, 'name' | 'kind'>;
  artifacts?: SavedArtifacts;
  /** The image a build job pushed there. */
  image?: ImageResult;
}

/**
 * The jobs that run again when `retried` is retried: itself and every job that waits for it,
 * directly or not. The rest keep their results.
 */
export function rerunSet(jobs: readonly JobSpec[], retried: string): Set<string> {
  const prerequisites = prerequisitesOf(jobs);
  const again = new Set<string>([retried]);
  for (let changed = true; changed; ) {
    changed = false;
    jobs.forEach((job, index) => {
      if (again.has(job.name) || !prerequisites[index]!.some((before) => again.has(jobs[before]!.name))) return;
      again.add(job.name);
      changed = true;
    });
  }
  return again;
}

/**
 * The plan's job a retry of `name` runs again: the job itself, or for a job of a child its
 * trigger job read as it ran (not in the plan), that trigger job, so the whole child runs again.
 */
export function retriedJobOf(jobs: readonly JobSpec[], name: string): string | undefined {
  return jobs.find((job) => job.name === name || (job.kind === 'trigger' && name.startsWith(`${job.name} » `)))?.name;
}

/** Where a `file` variable's value is written in the job, as GitLab puts them beside the checkout. */
export const VARIABLE_FILES_DIR = `${PROJECT_DIR}.tmp`;

/** Everything the engine tells the outside world; it knows nothing of HTTP, forges or databases. */
export interface PipelineObserver {
  jobStarted?(job: JobSpec): void | Promise<void>;
  jobOutput?(job: JobSpec, text: string): void;
  jobFinished?(job: JobSpec, result: JobResult): void | Promise<void>;
  /** A job's artifacts were kept (before it finishes). */
  artifactsSaved?(job: JobSpec, artifacts: SavedArtifacts): void | Promise<void>;
  /** A trigger job read its child pipeline: these jobs join the pipeline (before any of them starts). */
  jobsAdded?(jobs: JobSpec[]): void | Promise<void>;
  /** The pipeline's place to run (its daemon) is ready, after `durationMs`; `warm` when it was prepared ahead. */
  environmentOpened?(opened: { durationMs: number; warm: boolean }): void;
  /** The pipeline's place to run is gone (its daemon removed), after `durationMs`. */
  environmentClosed?(closed: { durationMs: number }): void;
}

/**
 * A job's variables, by GitLab's precedence: the predefined ones, then the file's (in order,
 * each may use those before it), then dotenv reports of the jobs it takes artifacts from, then
 * the project's CI/CD variables. Predefined `CI_*` names
 * are set last again, so no file or project variable can change what the pipeline is.
 */
function jobEnv(run: PipelineRun, job: JobSpec, dotenv: Record<string, string>): { env: Record<string, string>; files: JobFile[] } {
  const predefined: Record<string, string> = {
    ...predefinedVariables(run.facts, { jobToken: run.jobToken, projectDir: PROJECT_DIR }),
    CI_JOB_NAME: job.downstream?.job ?? job.name,
    CI_JOB_STAGE: job.stage,
    // As GitLab Runner says while the script runs; after_script hears success or failed.
    CI_JOB_STATUS: 'running',
    // A child pipeline's job is told it is one, as GitLab tells it.
    ...(job.downstream ? { CI_PIPELINE_SOURCE: 'parent_pipeline' } : {}),
    SLIPWAY: 'true',
    SLIPWAY_PIPELINE_ID: run.facts.id,
    SLIPWAY_PROJECT: run.facts.project,
    SLIPWAY_COMMIT_SHA: run.facts.sha,
    SLIPWAY_COMMIT_REF: run.facts.ref,
    SLIPWAY_JOB_NAME: job.name,
  };
  const env: Record<string, string> = { ...predefined, ...run.env };
  if (job.kind === 'script') for (const [name, value] of Object.entries(job.variables)) env[name] = expandVariables(value, env);
  // Earlier jobs' dotenv reports come over the file's variables and under the project's, as in GitLab.
  Object.assign(env, dotenv);
  const project = variablesAsEnv(run.variables ?? [], VARIABLE_FILES_DIR);
  return { env: { ...env, ...project.env, ...predefined }, files: project.files };
}

/** Values no output may show: the server's secrets, the job token, and masked CI/CD variables. */
function secretsOf(run: PipelineRun): string[] {
  return [...run.secrets, ...(run.jobToken ? [run.jobToken] : []), ...(run.variables ?? []).filter((variable) => variable.masked).map((variable) => variable.value)];
}

/** Whether a failed job may fail without failing the pipeline. */
function failureAllowed(job: JobSpec, result: JobResult): boolean {
  if (typeof job.allowFailure === 'object') return result.exitCode !== null && job.allowFailure.exitCodes.includes(result.exitCode);
  return job.allowFailure === true;
}

/** Marks a failure the job's `allow_failure` allows, before anyone hears of the result. */
function markAllowedFailure(job: JobSpec, result: JobResult): void {
  if (result.status === 'failed' && failureAllowed(job, result)) result.failureAllowed = true;
}

/** Whether a job starts only when a person plays it or its delay is over. */
export const waitsForTrigger = (job: JobSpec): boolean => job.when === 'manual' || job.when === 'delayed';

/** Manual and delayed jobs, like `on_success` ones, start only after what they wait for passed. */
const afterSuccess = (job: JobSpec): boolean => (job.when ?? 'on_success') === 'on_success' || waitsForTrigger(job);

/**
 * Whether an unplayed manual or delayed job holds `waiting` back (GitLab's rules): a delayed job
 * holds everything after it; a manual one holds the jobs that `needs` it, and later stages only
 * when it may not fail (`allow_failure: false`, a blocking manual job).
 */
function holdsBack(unplayed: JobSpec, waiting: JobSpec): boolean {
  return unplayed.when === 'delayed' || waiting.needs !== undefined || unplayed.allowFailure !== true;
}

/** Why a job does not run, or undefined when it does. */
function reasonToSkip(run: PipelineRun, job: JobSpec, failedJob: string | undefined): string | undefined {
  const planned = run.skipJobs?.[job.name] ?? job.skipReason;
  if (planned !== undefined) return planned;
  const when = job.when ?? 'on_success';
  if (failedJob !== undefined && afterSuccess(job)) return `skipped because ${failedJob} failed`;
  if (failedJob === undefined && when === 'on_failure') return 'runs only when an earlier job fails';
  return undefined;
}

/**
 * The jobs each job waits for, as indexes into the plan: its `needs`, or else every job of the
 * stages before its own (GitLab's two ways of ordering a pipeline).
 */
export function prerequisitesOf(jobs: readonly JobSpec[]): number[][] {
  const stages = [...new Set(jobs.map((job) => job.stage))];
  const indexOf = (name: string) => jobs.findIndex((other) => other.name === name);
  // A child pipeline the parent does not wait for (no `strategy: depend`) holds back none of the parent's later stages.
  const holdsStage = (other: JobSpec, job: JobSpec) => !other.downstream || other.downstream.depend || other.downstream.trigger === job.downstream?.trigger;
  const earlierStages = (job: JobSpec) => jobs.flatMap((other, index) => (stages.indexOf(other.stage) < stages.indexOf(job.stage) && holdsStage(other, job) ? [index] : []));
  return jobs.map((job) => {
    const needed = (job.needs ?? []).map(indexOf).filter((index) => index !== -1);
    // A child's job starts when its trigger job would (after its needs, or the parent's earlier stages), then as its own needs say.
    if (job.downstream) {
      const start = job.downstream.triggerNeeds ? job.downstream.triggerNeeds.map(indexOf).filter((index) => index !== -1) : earlierStages(job);
      return [...new Set([...start, ...needed])];
    }
    return job.needs ? needed : earlierStages(job);
  });
}

/** Where a pipeline's jobs run, unless none of them runs (a fork's build-only pipeline needs no daemon). */
async function openEnvironment(run: PipelineRun, executor: Executor, signal: AbortSignal, observer: PipelineObserver): Promise<ExecutionEnvironment | undefined | { failed: 'canceled' | string }> {
  const runs = (job: JobSpec) => (run.skipJobs?.[job.name] ?? job.skipReason) === undefined;
  // A trigger job's child runs here too, even when the trigger job itself ran before a play.
  const needsEnvironment = run.plan.jobs.some((job) => runs(job) && (job.kind === 'trigger' || (!run.reuse?.has(job.name) && (!waitsForTrigger(job) || run.played?.has(job.name)))));
  if (!needsEnvironment) return undefined;
  const { facts } = run;
  const started = Date.now();
  try {
    const environment = await executor.open(
      { id: facts.id, forge: facts.forge, project: facts.project, sha: facts.sha, ...(run.affinity ? { affinity: run.affinity } : {}), ...(run.trust ? { trust: run.trust } : {}), ...(run.plan.tags ? { tags: run.plan.tags } : {}) },
      signal,
    );
    observer.environmentOpened?.({ durationMs: Date.now() - started, warm: environment.warm === true });
    return environment;
  } catch (error) {
    return { failed: signal.aborted ? 'canceled' : `could not prepare the pipeline: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** One pipeline's jobs under way: their results as they stand, and what a failure stops. */
class PipelineGraph {
  readonly results: JobResult[];
  image: ImageResult | null = null;
  readonly ledger: ArtifactLedger;
  /** The plan's jobs, and those of the children trigger jobs read as they start. */
  private readonly jobs: JobSpec[];
  private readonly prerequisites: number[][];
  /** Per job: the failed job that stops what waits for it (itself, or one it waited for). */
  private readonly failures: Array<string | undefined> = [];
  /** Per job: the unplayed manual or delayed job it is (or waits for). */
  private readonly holds: Array<string | undefined> = [];
  private readonly finished: Array<{ promise: Promise<void>; resolve(): void }>;
  /** Children their trigger jobs do not wait for (no `strategy: depend`): the pipeline does. */
  private readonly detached: Array<Promise<unknown>> = [];
  private environment: ExecutionEnvironment | undefined;
  private secrets: string[] = [];

  constructor(
    private readonly run: PipelineRun,
    private readonly observer: PipelineObserver,
    private readonly signal: AbortSignal,
  ) {
    this.jobs = [...run.plan.jobs];
    this.results = this.jobs.map(pendingResult);
    this.ledger = createLedger(run.sourceDir);
    this.prerequisites = prerequisitesOf(this.jobs);
    this.finished = this.jobs.map(() => deferred());
  }

  skipRest(status: 'skipped' | 'canceled', reason: string): void {
    for (const result of this.results) if (result.status === 'pending') Object.assign(result, { status, error: reason });
  }

  /** Every job, each once what it waits for is done, and the children trigger jobs start. */
  async runAll(environment: ExecutionEnvironment | undefined, secrets: string[]): Promise<void> {
    this.environment = environment;
    this.secrets = secrets;
    await Promise.all(this.jobs.map((job, index) => this.track(job, index)));
    while (this.detached.length > 0) await this.detached.shift();
  }

  private track(job: JobSpec, index: number): Promise<void> {
    return this.runOne(job, index).finally(() => this.finished[index]!.resolve());
  }

  /**
   * How the jobs left the pipeline: failed, or paused for a delayed job's time or for a person
   * (a blocking manual job, or one a job needs), or passed.
   */
  outcome(): 'failed' | 'scheduled' | 'blocked' | 'passed' {
    const { jobs } = this;
    // A child pipeline without `strategy: depend` is its own: its state is not the parent's.
    const counts = (index: number) => jobs[index]!.downstream?.depend !== false;
    if (this.results.some((result, index) => counts(index) && result.status === 'failed' && !failureAllowed(jobs[index]!, result))) return 'failed';
    if (this.results.some((result, index) => counts(index) && result.status === 'scheduled')) return 'scheduled';
    const blocking = this.results.some((result, index) => counts(index) && (result.status === 'created' || (result.status === 'manual' && jobs[index]!.allowFailure !== true)));
    return blocking ? 'blocked' : 'passed';
  }

  private async reuseOne(job: JobSpec, index: number, reused: ReusedJob): Promise<void> {
    const result = this.results[index]!;
    // Earlier in this same pipeline (before a play): already recorded and shown as it is.
    const again = reused.fromPipeline !== this.run.facts.id;
    if (again) {
      await this.observer.jobStarted?.(job);
      this.observer.jobOutput?.(job, `Not run again: the result of pipeline #${reused.fromPipeline}, which this one retries.\n`);
    }
    Object.assign(result, reused.result);
    if (reused.artifacts) {
      this.ledger.saved.set(job.name, reused.artifacts);
      if (again) await this.observer.artifactsSaved?.(job, reused.artifacts);
    }
    if (reused.image) this.image = reused.image;
    if (result.status === 'failed' && !failureAllowed(job, result)) this.failures[index] = job.name;
    // Skipped after a failure earlier in this pipeline: what waits for it is skipped for the same failure.
    else if (result.status === 'skipped') this.failures[index] = /^skipped because (.+) failed$/s.exec(reused.result.error ?? '')?.[1];
    if (again) await this.observer.jobFinished?.(job, result);
  }

  /** The unplayed manual or delayed job that holds this one back, through what it waits for. */
  private heldBy(job: JobSpec, index: number): string | undefined {
    for (const before of this.prerequisites[index]!) {
      const hold = this.holds[before];
      if (hold === undefined) continue;
      if (this.results[before]!.status === 'created' || holdsBack(this.jobs[before]!, job)) return hold;
    }
    return undefined;
  }

  /** Leaves a job waiting (for a person, a clock, or a job that does); true when it does. */
  private async wait(job: JobSpec, index: number): Promise<boolean> {
    const result = this.results[index]!;
    const heldBy = this.heldBy(job, index);
    if (heldBy !== undefined) {
      Object.assign(result, { status: 'created', error: `waits for ${heldBy}` });
    } else if (waitsForTrigger(job) && !this.run.played?.has(job.name)) {
      const delayed = job.when === 'delayed' && !this.run.unscheduled?.has(job.name);
      Object.assign(result, { status: delayed ? 'scheduled' : 'manual', error: delayed ? `starts ${formatWait(job.startInSeconds ?? 0)} after it was scheduled` : 'waits for a person to play it' });
    } else {
      return false;
    }
    this.holds[index] = heldBy ?? job.name;
    await this.observer.jobFinished?.(job, result);
    return true;
  }

  /** The child a trigger job reads from its earlier job's artifact, or why it cannot be read. */
  private async readChild(job: TriggerJobSpec): Promise<PipelinePlan | { error: string }> {
    if (!this.run.readChild) return { error: `${job.name}'s child pipeline cannot be read here` };
    const file = await childFileOf(job, this.ledger, this.run.artifacts, { forge: this.run.facts.forge, project: this.run.facts.project });
    if ('error' in file) return file;
    try {
      return await this.run.readChild(job, file.text);
    } catch (error) {
      return { error: `its child pipeline cannot be read: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /** A child's jobs join the pipeline, recorded first; they wait for one another only (their trigger job waited for the rest). */
  private async adopt(children: readonly JobSpec[]): Promise<{ done: Promise<unknown> }> {
    await this.observer.jobsAdded?.([...children]);
    const first = this.jobs.length;
    for (const job of children) {
      this.jobs.push(job);
      this.results.push(pendingResult(job));
      this.finished.push(deferred());
    }
    for (const job of children) this.prerequisites.push((job.needs ?? []).map((name) => this.jobs.findIndex((other) => other.name === name)).filter((index) => index >= first));
    return { done: Promise.all(children.map((job, offset) => this.track(job, first + offset))) };
  }

  /**
   * A trigger job reads its child and starts it: without `strategy: depend` it passes as the
   * child starts; with it, it ends as its child does and takes its status (waiting while the
   * child waits for a person). Run again after a play, it only reads its child again.
   */
  private async runTrigger(job: TriggerJobSpec, index: number, reused: ReusedJob | undefined): Promise<void> {
    const result = this.results[index]!;
    const started = Date.now();
    if (!reused) {
      result.status = 'running';
      await this.observer.jobStarted?.(job);
    }
    const say = (text: string) => !reused && this.observer.jobOutput?.(job, text);
    const child = await this.readChild(job);
    const skipped = 'error' in child ? undefined : child.skipped;
    if ('error' in child || skipped !== undefined) {
      const error = 'error' in child ? child.error : undefined;
      say(`${error ?? `Its child pipeline runs nothing: ${skipped}`}\n`);
      Object.assign(result, { status: error ? 'failed' : 'passed', exitCode: null, durationMs: Date.now() - started, ...(error ? { error } : {}) });
      markAllowedFailure(job, result);
      if (result.status === 'failed' && !result.failureAllowed) this.failures[index] = job.name;
      await this.observer.jobFinished?.(job, result);
      return;
    }
    say(`Read the child pipeline from ${job.artifact.file} (artifact of ${job.artifact.job}): ${child.jobs.map((each) => each.name).join(', ')}\n${(child.notes ?? []).map((note) => `Note: ${note}\n`).join('')}`);
    const childRuns = (await this.adopt(child.jobs)).done;
    if (!job.depend) {
      // Awaited by runAll; marked handled now, so a failure before then is not an unhandled rejection.
      childRuns.catch(() => undefined);
      this.detached.push(childRuns);
      Object.assign(result, reused?.result ?? { status: 'passed', exitCode: 0, durationMs: Date.now() - started });
    } else {
      await childRuns;
      Object.assign(result, this.childOutcome(job), { durationMs: Date.now() - started });
      if (result.status === 'created') this.holds[index] = job.name;
      if (result.status === 'failed' && !result.failureAllowed) this.failures[index] = job.name;
    }
    if (!reused || job.depend) await this.observer.jobFinished?.(job, result);
  }

  /** A `strategy: depend` trigger job's result: its child's, as GitLab's bridge mirrors its downstream pipeline. */
  private childOutcome(job: TriggerJobSpec): Pick<JobResult, 'status' | 'exitCode' | 'error' | 'failureAllowed'> {
    const child = this.jobs.flatMap((each, index) => (each.downstream?.trigger === job.name ? [{ spec: each, result: this.results[index]! }] : []));
    const failed = child.filter(({ spec, result }) => result.status === 'failed' && !failureAllowed(spec, result));
    if (child.some(({ result }) => result.status === 'canceled')) return { status: 'canceled', exitCode: null, error: 'pipeline canceled' };
    if (failed.length > 0) {
      const outcome: JobResult = { name: job.name, kind: 'trigger', status: 'failed', exitCode: null, durationMs: 0, error: `its child pipeline failed: ${failed.map(({ spec }) => spec.name).join(', ')}` };
      markAllowedFailure(job, outcome);
      return outcome;
    }
    const waiting = child.find(({ spec, result }) => result.status === 'scheduled' || result.status === 'created' || (result.status === 'manual' && spec.allowFailure !== true));
    if (waiting) return { status: 'created', exitCode: null, error: `waits for ${waiting.spec.name}` };
    return { status: 'passed', exitCode: 0 };
  }

  private async runOne(job: JobSpec, index: number): Promise<void> {
    const reused = this.run.reuse?.get(job.name);
    // A trigger job that read its child before a play reads it again, so its child's jobs are there to reuse or play.
    if (reused && !(job.kind === 'trigger' && reused.result.status === 'passed')) return this.reuseOne(job, index, reused);
    await Promise.all(this.prerequisites[index]!.map((before) => this.finished[before]!.promise));
    const result = this.results[index]!;
    if (this.signal.aborted) return;
    const failedBefore = this.prerequisites[index]!.map((before) => this.failures[before]).find((failure) => failure !== undefined);
    const skip = reasonToSkip(this.run, job, failedBefore);
    if (skip !== undefined) {
      Object.assign(result, { status: 'skipped', error: skip });
      if (failedBefore !== undefined && afterSuccess(job)) this.failures[index] = failedBefore;
      await this.observer.jobFinished?.(job, result);
      return;
    }
    if (await this.wait(job, index)) return;
    if (job.kind === 'trigger') return this.runTrigger(job, index, reused);
    const outcome = await runJob({ run: { ...this.run, secrets: this.secrets }, environment: this.environment!, job, result, observer: this.observer, pipelineSignal: this.signal, ledger: this.ledger });
    if (outcome) this.image = outcome;
    if (result.status === 'failed' && !result.failureAllowed) this.failures[index] = job.name;
  }
}

const pendingResult = (job: JobSpec): JobResult => ({ name: job.name, kind: job.kind, status: 'pending', exitCode: null, durationMs: 0 });

/**
 * Runs a plan in one execution environment, each job as soon as the jobs it waits for have
 * finished (see `prerequisitesOf`), side by side where they can. A failed job (unless allowed
 * to fail) skips the jobs that wait for it, directly or not, except those that run
 * `on_failure` or `always`.
 */
export async function runPipeline(
  run: PipelineRun,
  executor: Executor,
  observer: PipelineObserver = {},
  signal: AbortSignal = new AbortController().signal,
): Promise<PipelineResult> {
  const started = Date.now();
  const secrets = secretsOf(run);
  const graph = new PipelineGraph(run, observer, signal);
  const opened = await openEnvironment(run, executor, signal, observer);
  const environment = opened && 'failed' in opened ? undefined : opened;
  const finish = (status: PipelineOutcome, error?: string): PipelineResult => ({
    status,
    jobs: graph.results,
    image: graph.image,
    ...(error === undefined ? {} : { error: maskText(error, secrets) }),
    durationMs: Date.now() - started,
    ...(environment?.warm ? { warm: true } : {}),
  });
  if (opened && 'failed' in opened) {
    if (opened.failed === 'canceled') {
      graph.skipRest('canceled', 'pipeline canceled');
      return finish('canceled');
    }
    graph.skipRest('skipped', opened.failed);
    return finish('failed', opened.failed);
  }
  try {
    await graph.runAll(environment, secrets);
    if (signal.aborted || graph.results.some((result) => result.status === 'canceled')) {
      graph.skipRest('canceled', 'pipeline canceled');
      return finish('canceled');
    }
    return finish(graph.outcome());
  } finally {
    if (environment) {
      const closing = Date.now();
      await environment.close();
      observer.environmentClosed?.({ durationMs: Date.now() - closing });
    }
  }
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** What kind of failure ended an attempt, in GitLab's `retry:when` words. */
type FailureKind = 'script_failure' | 'job_execution_timeout' | 'runner_system_failure';

const RETRY_MATCHES: Record<FailureKind, readonly string[]> = {
  script_failure: ['always', 'script_failure'],
  job_execution_timeout: ['always', 'job_execution_timeout', 'stuck_or_timeout_failure'],
  runner_system_failure: ['always', 'runner_system_failure', 'unknown_failure'],
};

function retries(job: JobSpec, failure: FailureKind, exitCode: number | null, attempt: number): boolean {
  const retry = job.kind === 'script' ? job.retry : undefined;
  if (!retry || attempt > retry.max) return false;
  if (!retry.when.some((when) => RETRY_MATCHES[failure].includes(when))) return false;
  return retry.exitCodes === undefined || (exitCode !== null && retry.exitCodes.includes(exitCode));
}

/** One job of a running pipeline, with where its result goes. */
interface JobRun {
  run: PipelineRun;
  environment: ExecutionEnvironment;
  job: ScriptJobSpec | BuildJobSpec;
  result: JobResult;
  observer: PipelineObserver;
  pipelineSignal: AbortSignal;
  ledger: ArtifactLedger;
}

/** Runs a job, again after a failure its `retry` covers; tells the observer of its start and its final result once. */
async function runJob(jobRun: JobRun): Promise<ImageResult | null> {
  const { job, result, observer } = jobRun;
  result.status = 'running';
  await observer.jobStarted?.(job);
  const started = Date.now();
  let image: ImageResult | null = null;
  const release = await takeResourceGroup(jobRun);
  if (release === 'canceled') {
    Object.assign(result, { status: 'canceled', error: 'pipeline canceled', durationMs: Date.now() - started });
    await observer.jobFinished?.(job, result);
    return null;
  }
  try {
    image = await attemptUntilDone(jobRun);
  } finally {
    await release?.();
  }
  result.durationMs = Date.now() - started;
  markAllowedFailure(job, result);
  await observer.jobFinished?.(job, result);
  return image;
}

/** Waits for the job's `resource_group`, if it has one: its release, or `canceled` when the pipeline stopped first. */
async function takeResourceGroup({ run, job, observer, pipelineSignal }: JobRun): Promise<(() => Promise<void>) | undefined | 'canceled'> {
  if (job.kind !== 'script' || job.resourceGroup === undefined || !run.resourceGroups) return undefined;
  const group = expandVariables(job.resourceGroup, { ...predefinedVariables(run.facts), ...job.variables });
  observer.jobOutput?.(job, `Waiting for resource group ${group} (one job at a time)\n`);
  try {
    return await run.resourceGroups.acquire(run.facts.project, group, pipelineSignal);
  } catch (error) {
    if (pipelineSignal.aborted) return 'canceled';
    throw error;
  }
}

/** Attempts a job, again after a failure its `retry` covers; the result is written into the job's `result`. */
async function attemptUntilDone(jobRun: JobRun): Promise<ImageResult | null> {
  const { job, result, observer } = jobRun;
  let image: ImageResult | null = null;
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await attemptJob(jobRun);
    image = outcome.image;
    const status = result.status as JobStatus;
    if (status !== 'failed' || !outcome.failure || !retries(job, outcome.failure, result.exitCode, attempt)) break;
    observer.jobOutput?.(job, `\nRetrying ${job.name} (retry ${attempt} of ${(job as ScriptJobSpec).retry!.max}) after ${outcome.failure.replaceAll('_', ' ')}\n`);
    Object.assign(result, { status: 'running', exitCode: null, error: undefined, services: undefined, coverage: undefined });
  }
  return image;
}

/** One run of a job: its result written into `result`, and what kind of failure it was. */
async function attemptJob({ run, environment, job, result, observer, pipelineSignal, ledger }: JobRun): Promise<{ image: ImageResult | null; failure?: FailureKind }> {
  // A job may ask for less time than the server gives, never more: a branch cannot hold a worker for days.
  const timeoutMs = Math.min((job.kind === 'script' ? job.timeoutMs : undefined) ?? run.jobTimeoutMs, run.jobTimeoutMs);
  const timeout = AbortSignal.timeout(timeoutMs);
  const coverage = job.kind === 'script' && job.coverage ? createCoverageReader(job.coverage) : undefined;
  const masker = createMasker(run.secrets, (text) => {
    coverage?.write(text);
    observer.jobOutput?.(job, text);
  });
  const { env, files } = jobEnv(run, job, job.kind === 'script' ? dotenvFor(job, ledger) : {});
  const output = (text: string) => masker.write(text);
  const place =
    job.kind === 'script' && run.artifacts
      ? { settings: run.artifacts, project: { forge: run.facts.forge, project: run.facts.project }, pipelineId: run.facts.id, sourceDir: run.sourceDir, job, env, ledger, output }
      : undefined;
  if (job.kind === 'script' && !run.artifacts && (job.artifacts || job.cache)) output('This Slipway has no artifact store, so artifacts and caches are not kept\n');
  const context: JobContext = {
    sourceDir: run.sourceDir,
    env,
    ...(run.jobToken ? { registryCredential: { username: JOB_TOKEN_USER, password: run.jobToken } } : {}),
    ...(files.length > 0 ? { files } : {}),
    ...(job.kind === 'script' && job.services?.length ? { services: resolveServices(job.services, env) } : {}),
    serviceLogs: (logs) => {
      result.services = logs.map((log) => ({ ...log, log: maskText(log.log, run.secrets) }));
    },
    signal: AbortSignal.any([pipelineSignal, timeout]),
    output,
    ...(place ? { inputs: jobInputs(place) } : {}),
    ...(place && (place.job.artifacts || place.job.cache)
      ? {
          collect: async (exitCode, workspace) => {
            const saved = await collectOutputs(place, exitCode, workspace);
            if (saved) await observer.artifactsSaved?.(job, saved);
          },
        }
      : {}),
  };
  let image: ImageResult | null = null;
  let failure: FailureKind | undefined;
  try {
    if (job.kind === 'script') {
      const { exitCode } = await environment.runScript({ ...job, image: expandVariables(job.image, context.env) }, context);
      result.exitCode = exitCode;
      result.status = exitCode === 0 ? 'passed' : 'failed';
      if (exitCode !== 0) {
        result.error = `the script exited with code ${exitCode}`;
        failure = 'script_failure';
      }
    } else {
      const target = imageTags(run.facts);
      if (target.withheld) context.output(`Not tagging :${target.withheld.tag}: ${target.withheld.reason}\n`);
      const cacheFrom = run.trustedCache ? await run.trustedCache(target.cacheFrom) : target.cacheFrom;
      for (const left of target.cacheFrom.filter((candidate) => !cacheFrom.includes(candidate))) context.output(`Not building from ${left}: a pipeline this one may not trust wrote it last\n`);
      const outcome = await environment.build(job, { repository: target.repository, tags: target.tags, cacheFrom, push: run.pushAllowed }, context);
      image = { ...outcome, tags: target.tags, pushed: run.pushAllowed };
      result.exitCode = 0;
      result.status = 'passed';
    }
  } catch (error) {
    if (pipelineSignal.aborted) {
      result.status = 'canceled';
      result.error = 'pipeline canceled';
    } else if (timeout.aborted) {
      result.status = 'failed';
      result.error = `timed out after ${formatDuration(timeoutMs)}`;
      failure = 'job_execution_timeout';
    } else {
      result.status = 'failed';
      result.error = maskText(error instanceof Error ? error.message : String(error), run.secrets);
      failure = 'runner_system_failure';
    }
    masker.write(`\n${result.error}\n`);
  } finally {
    masker.flush();
    const percent = coverage?.value();
    if (percent !== undefined) result.coverage = percent;
  }
  return { image, ...(failure ? { failure } : {}) };
}
