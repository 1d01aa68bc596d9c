/** A job's state, as stored and shown. */
export type JobStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped' | 'canceled';

/** How a pipeline that ran ended. */
export type PipelineOutcome = 'passed' | 'failed' | 'canceled';

/** A pipeline's state, as stored and shown: `error` when it could not run at all, `skipped` when its file's workflow rules leave it out. */
export type PipelineStatus = 'queued' | 'running' | PipelineOutcome | 'error' | 'skipped';

export type JobKind = 'script' | 'build';
