import { parentPort, workerData } from 'node:worker_threads';
import { IncludesNeeded, type FetchedInclude } from './gitlab-ci/resolve-includes.js';
import { PipelineFileError } from './pipeline-file-error.js';
import type { PlanOptions } from './plan.js';
import { readPipelinePlan } from './read-pipeline-file.js';

/** The thread side of readPipelinePlanWithin: reads the plan and posts it, what was wrong, or which includes it needs. */
const { sourceDir, variables, options, fetched } = workerData as {
  sourceDir: string;
  variables: Record<string, string>;
  options: PlanOptions;
  fetched: Array<[string, FetchedInclude]>;
};
readPipelinePlan(sourceDir, variables, options, new Map(fetched)).then(
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
