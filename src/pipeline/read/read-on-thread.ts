import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PipelineFileError } from './pipeline-file-error.js';
import { IncludesNeeded, type FetchedInclude, type IncludeRequest } from './gitlab-ci/resolve-includes.js';
import type { PipelinePlan, PlanOptions } from '../plan.js';
import type { GeneratedChild } from './read-checkout-plan.js';

/**
 * The compiled thread module; under the test runner this module is TypeScript, and its thread
 * registers tsx's loader before importing the TypeScript thread module.
 */
function threadEntry(): [URL | string, { eval?: boolean }] {
  if (!import.meta.url.endsWith('.ts')) return [new URL('./read-plan-thread.js', import.meta.url), {}];
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL('./read-plan-thread.ts', import.meta.url).href;
  return [`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`, { eval: true }];
}

type ThreadAnswer =
  | { plan: PipelinePlan }
  | { fileError: { file: string; problems: string[] } }
  | { includesNeeded: IncludeRequest[] }
  | { crash: string };

let spare: Worker | undefined;

function startThread(): Worker {
  const [entry, mode] = threadEntry();
  const thread = new Worker(entry, { ...mode, resourceLimits: { maxOldGenerationSizeMb: 256 } });
  // A spare waiting for work must not keep the process alive.
  thread.unref();
  const forget = () => {
    if (spare === thread) spare = undefined;
  };
  thread.once('error', forget);
  thread.once('exit', forget);
  return thread;
}

/**
 * Starts a thread ahead of the next read, so loading its modules is off the pipeline's path.
 * Each thread still reads one file only: nothing of one branch's file stays for the next.
 */
export function preparePlanThread(): void {
  spare ??= startThread();
}

/**
 * Reads a checkout's pipeline plan (one reading, with the includes fetched so far) on a thread of its own, within `timeoutMs`: a file from a
 * branch (anchors, extends, expressions) can never hold up the process's event loop, and one
 * that takes too long fails its pipeline with the reason instead of hanging it.
 */
export function readOnThread(
  sourceDir: string,
  variables: Record<string, string>,
  timeoutMs: number,
  options: PlanOptions,
  fetched: ReadonlyMap<string, FetchedInclude>,
  generated?: GeneratedChild,
): Promise<PipelinePlan> {
  const thread = spare ?? startThread();
  spare = undefined;
  thread.ref();
  thread.postMessage({ sourceDir, variables, options, fetched: [...fetched], ...(generated ? { generated } : {}) });
  const done = () => {
    void thread.terminate();
    preparePlanThread();
  };
  return new Promise<PipelinePlan>((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(new PipelineFileError('the pipeline file', [`took longer than ${Math.round(timeoutMs / 1000)} s to read (SLIPWAY_PIPELINE_FILE_TIMEOUT): simplify its anchors, extends or expressions`]));
    }, timeoutMs);
    thread.once('message', (answer: ThreadAnswer) => {
      clearTimeout(timer);
      done();
      if ('plan' in answer) resolve(answer.plan);
      else if ('fileError' in answer) reject(new PipelineFileError(answer.fileError.file, answer.fileError.problems));
      else if ('includesNeeded' in answer) reject(new IncludesNeeded(answer.includesNeeded));
      else reject(new Error(`reading the pipeline file failed: ${answer.crash}`));
    });
    thread.once('error', (error) => {
      clearTimeout(timer);
      done();
      // Out of memory under resourceLimits is the file's doing too.
      reject(new PipelineFileError('the pipeline file', [`could not be read: ${error.message}`]));
    });
  });
}
