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
    async retry(pipelineId: number): Promise<Checked<{ pipelineId: number }>> {
      const retried = await queue.retry(pipelineId);
      if (retried === null) return refuse(`pipeline #${pipelineId} has not finished: cancel it first, or wait for it`);
      void reporter.now(retried);
      signals.queued(retried);
      return { ok: true, pipelineId: retried };
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
