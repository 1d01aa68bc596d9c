import type { ForgeEvent } from '../model/forge-event.js';
import type { Logger } from '../telemetry/logger.js';
import type { ReviewApp, ReviewAppStore } from '../store/review-app-store.js';
import type { WaitingJobs } from '../store/waiting-jobs.js';

export interface ReviewAppStops {
  /** A change request closed or merged, or a branch deleted: its review apps stop. */
  left(event: ForgeEvent): Promise<void>;
  /** Review apps past their `auto_stop_in` stop. */
  sweep(): Promise<void>;
}

/**
 * Stops review apps as GitLab does: by playing the `on_stop` job in the pipeline that deployed
 * the app (it then shows there, with who or what played it). An app without a stop job, or one
 * whose job cannot be played (its pipeline was canceled), counts as stopped, with a note saying so.
 */
export function reviewAppStops(store: ReviewAppStore, waitingJobs: Pick<WaitingJobs, 'play'>, played: (pipelineId: number) => void, logger: Logger): ReviewAppStops {
  async function stop(app: ReviewApp, why: string): Promise<void> {
    if (!app.stopJob) return store.markStopped(app, why, 'it has no on_stop job, so nothing ran to stop it');
    if (!(await store.markStopping(app, why))) return;
    const outcome = await waitingJobs.play(app.pipelineId, app.stopJob, why);
    if ('played' in outcome) return played(app.pipelineId);
    const reason = outcome.refused === 'not-waiting' ? `it was ${outcome.status}` : outcome.refused === 'canceled' ? `pipeline #${app.pipelineId} was canceled` : `pipeline #${app.pipelineId} no longer has it`;
    await store.markStopped(app, why, `its on_stop job ${app.stopJob} could not be played: ${reason}`);
  }

  async function stopAll(apps: ReviewApp[], why: string): Promise<void> {
    for (const app of apps) {
      await stop(app, why).catch((error: unknown) => logger.warn({ err: error, project: app.project, environment: app.environment }, 'could not stop a review app'));
    }
  }

  return {
    async left(event) {
      const { forge, project } = event.target;
      const [where, why] = event.changeRequest !== null ? [{ changeRequest: event.changeRequest }, `slipway: merge request !${event.changeRequest} was closed`] : [{ ref: event.ref }, `slipway: branch ${event.ref} was deleted`];
      // The forge's event is answered whatever happens here; what could not be stopped is logged.
      await store.leftBy(forge, project, where).then((apps) => stopAll(apps, why), (error: unknown) => logger.warn({ err: error, project }, 'could not look for review apps to stop'));
    },
    async sweep() {
      for (const app of await store.dueToStop()) await stopAll([app], 'slipway: auto_stop_in ran out');
    },
  };
}
