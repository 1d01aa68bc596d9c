import type { PipelineObserver } from './engine.js';

/** One observer that tells each of `observers` in turn. */
export function combineObservers(...observers: PipelineObserver[]): PipelineObserver {
  return {
    async jobStarted(job) {
      for (const observer of observers) await observer.jobStarted?.(job);
    },
    jobOutput(job, text) {
      for (const observer of observers) observer.jobOutput?.(job, text);
    },
    async jobFinished(job, result) {
      for (const observer of observers) await observer.jobFinished?.(job, result);
    },
    async artifactsSaved(job, artifacts) {
      for (const observer of observers) await observer.artifactsSaved?.(job, artifacts);
    },
  };
}
