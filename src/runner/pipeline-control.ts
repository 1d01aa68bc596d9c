import { refuse, type Checked } from '../model/refusal.js';
import type { Reporter } from '../report/reporter.js';
import type { PipelineQueue } from '../store/pipeline-queue.js';
import type { DispatchSignals } from './dispatch-event.js';

/**
 * Retry and cancel, asked for by a person (web UI, API, a comment command). Whoever asks has
 * been allowed already; this only changes the queue, reports, and wakes the workers.
 */
export function createPipelineControl(queue: PipelineQueue, reporter: Reporter, signals: DispatchSignals) {
  return {
    /** The whole pipeline again, or with `job` that job and what waits for it, the rest kept. */
    async retry(pipelineId: number, job?: string): Promise<Checked<{ pipelineId: number }>> {
      const retried = await queue.retry(pipelineId, job);
      if ('refused' in retried) {
        if (retried.refused === 'missing') return refuse(`there is no pipeline #${pipelineId}`);
        if (retried.refused === 'unfinished') return refuse(`pipeline #${pipelineId} has not finished: cancel it first, or wait for it`);
        if (retried.refused === 'superseded') return refuse(`pipeline #${retried.newer} is newer than #${pipelineId} on its branch or change request: retry that one`);
        return refuse(`${job} did not fail in pipeline #${pipelineId}: only a failed or canceled job is retried alone`);
      }
      void reporter.now(retried.id);
      signals.queued(retried.id);
      return { ok: true, pipelineId: retried.id };
    },

    async cancel(pipelineId: number, by: string): Promise<Checked> {
      if (!(await queue.requestCancel(pipelineId, `canceled by ${by}`))) return refuse(`pipeline #${pipelineId} has already finished (or is being canceled)`);
      reporter.changed(pipelineId);
      signals.canceled([pipelineId]);
      return { ok: true };
    },
  };
}

export type PipelineControl = ReturnType<typeof createPipelineControl>;
