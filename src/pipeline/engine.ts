import type { BuildOutcome, ExecutionEnvironment, Executor, JobContext } from './executor.js';
import { formatDuration } from './format-duration.js';
import { imageTags } from './image-names.js';
import { createMasker, maskText } from './mask-secrets.js';
import type { JobSpec, PipelinePlan } from './plan.js';

export type JobStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped' | 'canceled';
export type PipelineStatus = 'passed' | 'failed' | 'canceled';

export interface JobResult {
  name: string;
  kind: JobSpec['kind'];
  status: JobStatus;
  exitCode: number | null;
  durationMs: number;
  error?: string;
}

export type ImageResult = BuildOutcome & { tags: string[]; pushed: boolean };

export interface PipelineResult {
  status: PipelineStatus;
  jobs: JobResult[];
  image: ImageResult | null;
  error?: string;
  durationMs: number;
}

export interface PipelineRun {
  id: string;
  project: string;
  sha: string;
  ref: string;
  defaultBranch: string | undefined;
  sourceDir: string;
  plan: PipelinePlan;
  registry: string;
  /** False for untrusted sources (forks): the image is built but not pushed. */
  pushAllowed: boolean;
  /** Values masked in every line of output and every error. */
  secrets: string[];
  jobTimeoutMs: number;
  /** Extra variables for every job, before the job's own. */
  env?: Record<string, string>;
  /** Jobs not to run, with the reason shown for each (a fork's build, say); they do not fail the pipeline. */
  skipJobs?: Record<string, string>;
}

/** Everything the engine tells the outside world; it knows nothing of HTTP, forges or databases. */
export interface PipelineObserver {
  jobStarted?(job: JobSpec): void | Promise<void>;
  jobOutput?(job: JobSpec, text: string): void;
  jobFinished?(job: JobSpec, result: JobResult): void | Promise<void>;
}

function jobEnv(run: PipelineRun, job: JobSpec): Record<string, string> {
  return {
    CI: 'true',
    SLIPWAY: 'true',
    SLIPWAY_PIPELINE_ID: run.id,
    SLIPWAY_PROJECT: run.project,
    SLIPWAY_COMMIT_SHA: run.sha,
    SLIPWAY_COMMIT_REF: run.ref,
    SLIPWAY_JOB_NAME: job.name,
    ...run.env,
    ...(job.kind === 'test' ? job.variables : {}),
  };
}

/** Runs a plan's jobs in order in one execution environment; a failed job skips the rest. */
export async function runPipeline(
  run: PipelineRun,
  executor: Executor,
  observer: PipelineObserver = {},
  signal: AbortSignal = new AbortController().signal,
): Promise<PipelineResult> {
  const started = Date.now();
  const results: JobResult[] = run.plan.jobs.map((job) => ({ name: job.name, kind: job.kind, status: 'pending', exitCode: null, durationMs: 0 }));
  const finish = (status: PipelineStatus, image: ImageResult | null, error?: string): PipelineResult => ({
    status,
    jobs: results,
    image,
    ...(error === undefined ? {} : { error: maskText(error, run.secrets) }),
    durationMs: Date.now() - started,
  });
  const skipRest = (from: number, status: 'skipped' | 'canceled', reason: string) => {
    for (const result of results.slice(from)) {
      if (result.status === 'pending') Object.assign(result, { status, error: reason });
    }
  };

  let environment: ExecutionEnvironment;
  try {
    environment = await executor.open({ id: run.id, project: run.project, sha: run.sha }, signal);
  } catch (error) {
    if (signal.aborted) {
      skipRest(0, 'canceled', 'pipeline canceled');
      return finish('canceled', null);
    }
    const reason = `could not prepare the pipeline: ${error instanceof Error ? error.message : String(error)}`;
    skipRest(0, 'skipped', reason);
    return finish('failed', null, reason);
  }

  let image: ImageResult | null = null;
  try {
    for (const [index, job] of run.plan.jobs.entries()) {
      const result = results[index]!;
      if (signal.aborted) {
        skipRest(index, 'canceled', 'pipeline canceled');
        return finish('canceled', image);
      }
      const skipReason = run.skipJobs?.[job.name];
      if (skipReason !== undefined) {
        Object.assign(result, { status: 'skipped', error: skipReason });
        await observer.jobFinished?.(job, result);
        continue;
      }
      const outcome = await runJob(run, environment, job, result, observer, signal);
      if (outcome) image = outcome;
      if (result.status === 'canceled') {
        skipRest(index + 1, 'canceled', 'pipeline canceled');
        return finish('canceled', image);
      }
      if (result.status === 'failed') {
        skipRest(index + 1, 'skipped', `skipped because ${job.name} failed`);
        return finish('failed', image);
      }
    }
    return finish('passed', image);
  } finally {
    await environment.close();
  }
}

async function runJob(
  run: PipelineRun,
  environment: ExecutionEnvironment,
  job: JobSpec,
  result: JobResult,
  observer: PipelineObserver,
  pipelineSignal: AbortSignal,
): Promise<ImageResult | null> {
  const timeoutMs = (job.kind === 'test' ? job.timeoutMs : undefined) ?? run.jobTimeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const masker = createMasker(run.secrets, (text) => observer.jobOutput?.(job, text));
  const context: JobContext = {
    sourceDir: run.sourceDir,
    env: jobEnv(run, job),
    signal: AbortSignal.any([pipelineSignal, timeout]),
    output: (text) => masker.write(text),
  };
  result.status = 'running';
  await observer.jobStarted?.(job);
  const started = Date.now();
  let image: ImageResult | null = null;
  try {
    if (job.kind === 'test') {
      const { exitCode } = await environment.runTest(job, context);
      result.exitCode = exitCode;
      result.status = exitCode === 0 ? 'passed' : 'failed';
      if (exitCode !== 0) result.error = `the script exited with code ${exitCode}`;
    } else {
      const target = imageTags({ registry: run.registry, project: run.project, sha: run.sha, ref: run.ref, defaultBranch: run.defaultBranch });
      const outcome = await environment.build(job, { ...target, push: run.pushAllowed }, context);
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
    } else {
      result.status = 'failed';
      result.error = maskText(error instanceof Error ? error.message : String(error), run.secrets);
    }
    masker.write(`\n${result.error}\n`);
  } finally {
    masker.flush();
    result.durationMs = Date.now() - started;
  }
  await observer.jobFinished?.(job, result);
  return image;
}
