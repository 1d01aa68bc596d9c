import type { Dispatch } from '../model/dispatch.js';
import type { PipelineQueue } from '../store/pipeline-queue.js';
import type { Reporter } from '../report/reporter.js';
import type { ReviewAppStops } from './stop-review-apps.js';

export interface DispatchSignals {
  /** A pipeline was queued: workers here and elsewhere should claim it. */
  queued(pipelineId: number): void;
  /** Pipelines were canceled or superseded: whoever runs them stops them now. */
  canceled(pipelineIds: number[]): void;
}

/**
 * Records a forge event as durable work and returns at once; the reporter posts the pending
 * status and comment after the webhook has been answered, and a worker is woken to run it.
 */
export function createDispatcher(queue: PipelineQueue, reporter: Reporter, signals: DispatchSignals, reviewApps?: Pick<ReviewAppStops, 'left'>): Dispatch {
  return async (event) => {
    const outcome = await queue.accept(event);
    if (outcome.outcome === 'queued') {
      void reporter.now(outcome.pipelineId);
      for (const id of outcome.superseded) reporter.changed(id);
      if (outcome.superseded.length > 0) signals.canceled(outcome.superseded);
      signals.queued(outcome.pipelineId);
    } else if (outcome.outcome === 'joined') {
      reporter.changed(outcome.pipelineId);
    } else if (outcome.outcome === 'canceled') {
      for (const id of outcome.pipelineIds) reporter.changed(id);
      if (outcome.pipelineIds.length > 0) signals.canceled(outcome.pipelineIds);
      // After the cancel, so the stop jobs it plays are not canceled with the change request's pipelines.
      await reviewApps?.left(event);
    }
    return outcome;
  };
}
