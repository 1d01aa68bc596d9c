import { refuse, type Checked } from '../model/refusal.js';
import type { Reporter } from '../report/reporter.js';
import type { PipelineQueue } from '../store/pipeline-queue.js';
import type { TriggerRefusal, WaitingJobs } from '../store/waiting-jobs.js';
import type { DispatchSignals } from './dispatch-event.js';

/**
 * Retry and cancel, asked for by a person (web UI, API, a comment command). Whoever asks has
 * been allowed already; this only changes the queue, reports, and wakes the workers.
 */
export function createPipelineControl(queue: PipelineQueue, waitingJobs: WaitingJobs, reporter: Reporter, signals: DispatchSignals) {
  const refusedTrigger = (pipelineId: number, job: string, verb: string, refusal: TriggerRefusal) => {
    if (refusal.refused === 'missing') return refuse(`there is no pipeline #${pipelineId}`);
    if (refusal.refused === 'no-job') return refuse(`pipeline #${pipelineId} has no job ${job}`);
    if (refusal.refused === 'canceled') return refuse(`pipeline #${pipelineId} was canceled or could not run: start a new one`);
    return refuse(`${job} is ${refusal.status}, not waiting to be ${verb}: only a manual job, or a delayed one before its time, is`);
  };

  return {
    /** The whole pipeline again, or with `job` that job and what waits for it, the rest kept. */
    async retry(pipelineId: number, job?: string): Promise<Checked<{ pipelineId: number }>> {
      const retried = await queue.retry(pipelineId, job);
      if ('refused' in retried) {
        if (retried.refused === 'missing') return refuse(`there is no pipeline #${pipelineId}`);
        if (retried.refused === 'unfinished') return refuse(`pipeline #${pipelineId} has not finished: cancel it first, or wait for it`);
        if (retried.refused === 'local') return refuse(`pipeline #${pipelineId} ran on a machine with slipway run, from files Slipway never saw on a forge: run it again there`);
        if (retried.refused === 'deploy') return refuse(`pipeline #${pipelineId} ran a deployment's deploy jobs: deploy again with /deploy, which asks for approval`);
        if (retried.refused === 'superseded') return refuse(`pipeline #${retried.newer} is newer than #${pipelineId} on its branch or change request: retry that one`);
        return refuse(`${job} did not fail in pipeline #${pipelineId}: only a failed or canceled job is retried alone`);
      }
      void reporter.now(retried.id);
      signals.queued(retried.id);
      return { ok: true, pipelineId: retried.id };
    },

    /** Runs a manual job (or a delayed one now) in its own pipeline, and what waited for it after. */
    async play(pipelineId: number, job: string, by: string): Promise<Checked<{ pipelineId: number }>> {
      const played = await waitingJobs.play(pipelineId, job, by);
      if ('refused' in played) return refusedTrigger(pipelineId, job, 'played', played);
      void reporter.now(pipelineId);
      signals.queued(pipelineId);
      return { ok: true, pipelineId };
    },

    /** A delayed job waits to be played instead of starting at its time. */
    async unschedule(pipelineId: number, job: string, by: string): Promise<Checked> {
      const unscheduled = await waitingJobs.unschedule(pipelineId, job, by);
      if ('refused' in unscheduled) return refusedTrigger(pipelineId, job, 'unscheduled', unscheduled);
      reporter.changed(pipelineId);
      return { ok: true };
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
