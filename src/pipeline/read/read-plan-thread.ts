import { parentPort } from 'node:worker_threads';
import { IncludesNeeded, type FetchedInclude } from './gitlab-ci/resolve-includes.js';
import { PipelineFileError } from './pipeline-file-error.js';
import type { PlanOptions } from '../plan.js';
import { readCheckoutPlan, type GeneratedChild } from './read-checkout-plan.js';

interface ReadRequest {
  sourceDir: string;
  variables: Record<string, string>;
  options: PlanOptions;
  fetched: Array<[string, FetchedInclude]>;
  generated?: GeneratedChild;
}

const read = ({ sourceDir, variables, options, fetched, generated }: ReadRequest) =>
  readCheckoutPlan(sourceDir, variables, options, new Map(fetched), generated).then(
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
parentPort!.once('message', (request: ReadRequest) => void read(request));
