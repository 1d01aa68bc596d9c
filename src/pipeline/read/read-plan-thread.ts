import { parentPort } from 'node:worker_threads';
import { IncludesNeeded, type FetchedInclude } from './gitlab-ci/resolve-includes.js';
import { PipelineFileError } from './pipeline-file-error.js';
import type { PlanOptions } from '../plan.js';
import { readCheckoutPlan } from './read-checkout-plan.js';

interface ReadRequest {
  sourceDir: string;
  variables: Record<string, string>;
  options: PlanOptions;
  fetched: Array<[string, FetchedInclude]>;
}

const read = (sourceDir: string, variables: Record<string, string>, options: PlanOptions, fetched: Array<[string, FetchedInclude]>) =>
  readCheckoutPlan(sourceDir, variables, options, new Map(fetched)).then(
    (plan) => parentPort!.postMessage({ plan }),
    (error: unknown) =>
      parentPort!.postMessage(
        error instanceof PipelineFileError
          ? { fileError: { file: error.file, problems: error.problems } }
          : error instanceof IncludesNeeded
            ? { includesNeeded: error.requests }
            : { crash: error instanceof Error ? error.message : String(error) },
      ),
  );

/**
 * The thread side of readOnThread: started ahead with its modules loaded, it reads
 * one plan when asked and posts it, what was wrong, or which includes it needs; it is never
 * given a second one.
 */
parentPort!.once('message', ({ sourceDir, variables, options, fetched }: ReadRequest) => void read(sourceDir, variables, options, fetched));
