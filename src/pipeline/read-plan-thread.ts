import { parentPort, workerData } from 'node:worker_threads';
import { PipelineFileError } from './pipeline-file-error.js';
import type { PlanOptions } from './plan.js';
import { readPipelinePlan } from './read-pipeline-file.js';

/** The thread side of readPipelinePlanWithin: reads the plan and posts it, or what was wrong. */
const { sourceDir, variables, options } = workerData as { sourceDir: string; variables: Record<string, string>; options: PlanOptions };
readPipelinePlan(sourceDir, variables, options).then(
  (plan) => parentPort!.postMessage({ plan }),
  (error: unknown) =>
    parentPort!.postMessage(
      error instanceof PipelineFileError ? { fileError: { file: error.file, problems: error.problems } } : { crash: error instanceof Error ? error.message : String(error) },
    ),
);
