import { describe, expect, it } from 'vitest';
import type { ForgeEvent } from '../../src/model/forge-event.js';
import { reviewAppStops } from '../../src/runner/stop-review-apps.js';
import type { ReviewApp, ReviewAppStore } from '../../src/store/review-app-store.js';
import type { TriggerRefusal } from '../../src/store/waiting-jobs.js';
import { createLogger } from '../../src/telemetry/logger.js';

const app = (environment: string, extra: Partial<ReviewApp> = {}): ReviewApp => ({
  forge: 'gitlab',
  project: 'group/app',
  environment,
  state: 'available',
  url: null,
  sha: 'a'.repeat(40),
  ref: 'feature',
  changeRequest: 3,
  pipelineId: 9,
  job: 'review',
  stopJob: 'stop_review',
  autoStopAt: null,
  deployedAt: new Date(),
  stoppedAt: null,
  stoppedBy: null,
  stopNote: null,
  ...extra,
});

/** A store that holds apps in memory and records each call, so the stopper's choices show. */
function recordingStore(apps: ReviewApp[]) {
  const calls: string[] = [];
  const store: ReviewAppStore = {
    noteJob: async () => undefined,
    async leftBy(_forge, _project, where) {
      calls.push(`leftBy ${JSON.stringify(where)}`);
      return apps.filter((each) => each.state === 'available');
    },
    // As read a moment before: another process may have claimed one since.
    dueToStop: async () => apps,
    async markStopping(target, by) {
      calls.push(`stopping ${target.environment} by ${by}`);
      if (target.state !== 'available') return false;
      target.state = 'stopping';
      return true;
    },
    async markStopped(target, by, note) {
      calls.push(`stopped ${target.environment} by ${by}: ${note}`);
      target.state = 'stopped';
    },
    list: async () => apps,
  };
  return { store, calls };
}

const closing: ForgeEvent = {
  target: { forge: 'gitlab', project: 'group/app', apiContext: { projectId: 1 } },
  deliveryId: 'd',
  event: 'merge_request.close',
  action: 'cancel',
  sha: 'a'.repeat(40),
  ref: 'feature',
  defaultBranch: 'main',
  changeRequest: 3,
  fromFork: false,
  diffBase: 'main',
};

describe('stopping review apps', () => {
  const logger = createLogger('silent');

  it('plays the on_stop job in the pipeline that deployed the app, and counts one without a stop job as stopped, saying why', async () => {
    const apps = [app('review/a'), app('review/b', { stopJob: null })];
    const { store, calls } = recordingStore(apps);
    const played: Array<[number, string, string]> = [];
    const queued: number[] = [];
    const stops = reviewAppStops(store, { play: async (pipelineId, job, by) => (played.push([pipelineId, job, by]), { played: true }) }, (id) => queued.push(id), logger);

    await stops.left(closing);

    expect(played).toEqual([[9, 'stop_review', 'slipway: merge request !3 was closed']]);
    expect(queued).toEqual([9]);
    expect(calls).toEqual([
      'leftBy {"changeRequest":3}',
      'stopping review/a by slipway: merge request !3 was closed',
      'stopped review/b by slipway: merge request !3 was closed: it has no on_stop job, so nothing ran to stop it',
    ]);
  });

  it('looks up a deleted branch’s apps by the branch, and says why a stop job that cannot be played did not run', async () => {
    const apps = [app('review/a')];
    const { store, calls } = recordingStore(apps);
    const refusal: TriggerRefusal = { refused: 'canceled' };
    const stops = reviewAppStops(store, { play: async () => refusal }, () => undefined, logger);

    await stops.left({ ...closing, event: 'push.deleted', changeRequest: null });

    expect(calls).toEqual([
      'leftBy {"ref":"feature"}',
      'stopping review/a by slipway: branch feature was deleted',
      'stopped review/a by slipway: branch feature was deleted: its on_stop job stop_review could not be played: pipeline #9 was canceled',
    ]);
  });

  it('stops nothing twice: an app another process began to stop since it was read is left to it', async () => {
    const apps = [app('review/a', { state: 'stopping' }), app('review/b', { autoStopAt: new Date(0) })];
    const { store, calls } = recordingStore(apps);
    const played: number[] = [];
    const stops = reviewAppStops(store, { play: async (id) => (played.push(id), { played: true }) }, () => undefined, logger);

    await stops.sweep();

    expect(played).toEqual([9]);
    expect(calls).toEqual(['stopping review/a by slipway: auto_stop_in ran out', 'stopping review/b by slipway: auto_stop_in ran out']);
    expect(apps.map((each) => each.state)).toEqual(['stopping', 'stopping']);
  });
});
