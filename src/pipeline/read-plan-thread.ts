import { parentPort, workerData } from 'node:worker_threads';
import { PipelineFileError } from './pipeline-file-error.js';
import { readPipelinePlan } from './read-pipeline-file.js';

/** The thread side of readPipelinePlanWithin: reads the plan and posts it, or what was wrong. */
const { sourceDir, variables } = workerData as { sourceDir: string; variables: Record<string, string> };
readPipelinePlan(sourceDir, variables).then(
  (plan) => parentPort!.postMessage({ plan }),
  (error: unknown) =>
    parentPort!.postMessage(
      error instanceof PipelineFileError ? { fileError: { file: error.file, problems: error.problems } } : { crash: error instanceof Error ? error.message : String(error) },
    ),
);
