/**
 * A job's state, as stored and shown. Three wait for a person or a clock: `manual` (played by
 * someone), `scheduled` (a delayed job, until its time), and `created` (a job that waits for one
 * of those).
 */
export type JobStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped' | 'canceled' | 'manual' | 'scheduled' | 'created';

/** Job states that are over: nothing more happens to the job unless it is retried. */
export const FINISHED_JOB_STATUSES: readonly JobStatus[] = ['passed', 'failed', 'skipped', 'canceled'];

/**
 * How a pipeline's run ended: finished, or paused until a person plays a blocking manual job
 * (`blocked`, GitLab's "manual") or a delayed job's time comes (`scheduled`).
 */
export type PipelineOutcome = 'passed' | 'failed' | 'canceled' | 'blocked' | 'scheduled';

/** A pipeline's state, as stored and shown: `error` when it could not run at all, `skipped` when its file's workflow rules leave it out. */
export const PIPELINE_STATUSES = ['queued', 'running', 'blocked', 'scheduled', 'passed', 'failed', 'canceled', 'error', 'skipped'] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];

/** Pipeline states a person's play (or a delayed job's time) may resume. */
export const PAUSED_PIPELINE_STATUSES: readonly PipelineStatus[] = ['blocked', 'scheduled'];

export type JobKind = 'script' | 'build';
