import { setTimeout as sleep } from 'node:timers/promises';
import { refuse, type Checked } from '../model/refusal.js';
import { jobsDeployingTo, type Deployment, type EnvironmentAction } from '../model/deployment.js';
import type { DeployJobStore } from '../store/deploy-job-store.js';

/** The pipeline file's deploy jobs, as a deployment runs them after promotion. */
export interface DeployJobRunner {
  /** The tested pipeline's jobs that deploy to (or stop) the environment; empty when the file has none. */
  jobsFor(pipelineId: number, environment: string, action?: EnvironmentAction): Promise<string[]>;
  /**
   * Runs them in the deployment's own pipeline (queued once: a takeover waits for the same one)
   * and waits for it: passed, or refused with what failed. `queued` hears the pipeline's number first.
   */
  run(deployment: Deployment & { pipelineId: number }, queued: (pipelineId: number) => Promise<void>): Promise<Checked<{ pipelineId: number }>>;
}

const WAITING = new Set(['queued', 'running']);

export function createDeployJobRunner(store: DeployJobStore, options: { wakeWorkers(): void; pollMs?: number }): DeployJobRunner {
  const pollMs = options.pollMs ?? 500;
  return {
    jobsFor: async (pipelineId, environment, action) => jobsDeployingTo(await store.heldJobs(pipelineId), environment, action).map((job) => job.name),
    async run(deployment, queued) {
      const pipelineId = await store.queue(deployment.id, deployment.pipelineId);
      options.wakeWorkers();
      await queued(pipelineId);
      // The worker's lease and job timeout bound this wait; a worker that dies is taken over.
      for (;;) {
        const outcome = await store.outcome(pipelineId);
        if (!outcome) return refuse(`its deploy pipeline #${pipelineId} is gone`);
        if (outcome.status === 'passed') return { ok: true, pipelineId };
        if (!WAITING.has(outcome.status)) {
          const what = outcome.failedJobs.length > 0 ? `the ${deployment.kind === 'stop' ? 'stop' : 'deploy'} job ${outcome.failedJobs.join(', ')} failed` : `its deploy pipeline ended ${outcome.status}`;
          return refuse(`${what} (pipeline #${pipelineId})${outcome.error ? `: ${outcome.error}` : ''}`);
        }
        await sleep(pollMs);
      }
    },
  };
}
