/** A job's state, as stored and shown. */
export type JobStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped' | 'canceled';

/** How a pipeline that ran ended. */
export type PipelineOutcome = 'passed' | 'failed' | 'canceled';

/** A pipeline's state, as stored and shown: `error` when it could not run at all, `skipped` when its file's workflow rules leave it out. */
export const PIPELINE_STATUSES = ['queued', 'running', 'passed', 'failed', 'canceled', 'error', 'skipped'] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];

export type JobKind = 'script' | 'build';
