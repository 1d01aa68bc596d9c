import type { PipelinePlan, PlanOptions } from '../plan.js';
import { readFetchingIncludes, type FetchInclude } from './fetch-includes-between-reads.js';
import { readCheckoutPlan, type GeneratedChild } from './read-checkout-plan.js';
import { readOnThread } from './read-on-thread.js';

export interface ReadPipelineOptions {
  /** The pipeline's predefined variables, which `rules`, `workflow` and `include:rules` are decided with. */
  variables?: Record<string, string>;
  plan?: PlanOptions;
  /** Fetches `include:project`, `include:remote` and `rules:changes`' comparison; without it only local includes can be read. */
  fetchInclude?: FetchInclude;
  /**
   * Read on a thread of its own within this many milliseconds: what the worker does with a
   * branch's file, so no file can hold up the event loop. Absent: read here (`slipway run`).
   */
  timeoutMs?: number;
  /** Read this trigger job's child (from the file it brought) instead of the checkout's pipeline. */
  generated?: GeneratedChild;
}

/**
 * The one way in to reading a checkout's pipeline: `.slipway.yml`, else `.gitlab-ci.yml` with
 * its includes, else a Dockerfile's build. Fails with a PipelineFileError naming what to fix.
 */
export function readPipeline(sourceDir: string, options: ReadPipelineOptions = {}): Promise<PipelinePlan> {
  const variables = options.variables ?? {};
  const plan = options.plan ?? {};
  const { timeoutMs, generated } = options;
  return readFetchingIncludes(
    (fetched) => (timeoutMs === undefined ? readCheckoutPlan(sourceDir, variables, plan, fetched, generated) : readOnThread(sourceDir, variables, timeoutMs, plan, fetched, generated)),
    options.fetchInclude,
  );
}
