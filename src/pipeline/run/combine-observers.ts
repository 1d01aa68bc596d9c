import type { PipelineObserver } from './engine.js';

/** One observer that tells each of `observers` in turn (every kind of news: `Required` keeps a new one from being left out). */
export function combineObservers(...observers: PipelineObserver[]): Required<PipelineObserver> {
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
    async jobsAdded(jobs) {
      for (const observer of observers) await observer.jobsAdded?.(jobs);
    },
    environmentOpened(opened) {
      for (const observer of observers) observer.environmentOpened?.(opened);
    },
    environmentClosed(closed) {
      for (const observer of observers) observer.environmentClosed?.(closed);
    },
  };
}
