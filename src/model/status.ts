/**
 * A job's state, as stored and shown. Three wait for a person or a clock: `manual` (played by
 * someone), `scheduled` (a delayed job, until its time), and `created` (a job that waits for one
 * of those).
 */
export type JobStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped' | 'canceled' | 'manual' | 'scheduled' | 'created';

/** Job states of a job that has not run and waits: for a person, a clock, or a job that does. */
export const WAITING_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['manual', 'scheduled', 'created']);

/**
 * How a pipeline's run ended: finished, or paused until a person plays a blocking manual job
 * (`blocked`, GitLab's "manual") or a delayed job's time comes (`scheduled`).
 */
export type PipelineOutcome = 'passed' | 'failed' | 'canceled' | 'blocked' | 'scheduled';

/** A pipeline's state, as stored and shown: `error` when it could not run at all, `skipped` when its file's workflow rules leave it out. */
export const PIPELINE_STATUSES = ['queued', 'running', 'blocked', 'scheduled', 'passed', 'failed', 'canceled', 'error', 'skipped'] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];

export type JobKind = 'script' | 'build';
