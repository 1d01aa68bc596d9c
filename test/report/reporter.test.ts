import { describe, expect, it } from 'vitest';
import type { Forge } from '../../src/forges/forge.js';
import type { CommitStatus } from '../../src/model/forge-event.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createReporter } from '../../src/report/reporter.js';
import type { PipelineView, PipelineViews } from '../../src/store/pipeline-views.js';
import { waitFor } from '../helpers/wait-for.js';

/** A forge in memory: the reporter is tested without any HTTP. */
function memoryForge(failures = 0) {
  const statuses: CommitStatus[] = [];
  let remaining = failures;
  const forge: Forge = {
    name: 'gitlab',
    maxCommentLength: 1_000_000,
    fetchSource: async () => [],
    async setCommitStatus(_target, _sha, status) {
      if (remaining > 0) {
        remaining -= 1;
        throw Object.assign(new Error('502 Bad Gateway'), { status: 502 });
      }
      statuses.push(status);
    },
    upsertComment: async () => undefined,
    readProjectFile: () => Promise.reject(new Error('not used here')),
    accessOf: () => Promise.reject(new Error('not used here')),
    changedFiles: () => Promise.reject(new Error('not used here')),
    reportDeployment: async () => undefined,
    commitOf: () => Promise.reject(new Error('not used here')),
  };
  return { forge, statuses, failedSoFar: () => failures - remaining };
}

function viewsOf(current: () => PipelineView['status']): Pick<PipelineViews, 'get' | 'latestForChangeRequest' | 'logTail'> {
  const view = (): PipelineView => ({
    id: 1, forge: 'gitlab', project: 'g/a', forgeContext: { projectId: 1 }, sha: 'b'.repeat(40), ref: 'main', changeRequest: null,
    fromFork: false, status: current(), error: null, cancelReason: null, commandNote: null, supersededBy: null, newerId: null, planSource: null, name: null, planNotes: [], image: null,
    createdAt: new Date(), startedAt: null, finishedAt: null, jobs: [], superseded: [], deploymentId: null, retryOf: null, retriedJob: null,
  });
  return { get: async () => view(), latestForChangeRequest: async () => 1, logTail: async () => '' };
}

describe('the reporter', () => {
  it('sends a burst of changes as one update', async () => {
    const { forge, statuses } = memoryForge();
    const reporter = createReporter({ views: viewsOf(() => 'running'), forges: new Map([['gitlab', forge]]), publicUrl: 'u', logger: createLogger('silent'), debounceMs: 50 });

    for (let i = 0; i < 20; i += 1) reporter.changed(1);
    // stop() sends what is still scheduled, so nothing of the burst can be lost by stopping early.
    await reporter.stop();

    expect(statuses.map((status) => status.state)).toEqual(['running']);
  });

  it('retries a failed report, and a newer report replaces one still waiting to retry', async () => {
    const { forge, statuses, failedSoFar } = memoryForge(1);
    let state: PipelineView['status'] = 'running';
    const reporter = createReporter({
      views: viewsOf(() => state), forges: new Map([['gitlab', forge]]), publicUrl: 'u', logger: createLogger('silent'), debounceMs: 10, retryDelaysMs: [60_000],
    });

    const first = reporter.now(1);
    await waitFor('the first attempt to fail', () => failedSoFar() === 1);
    state = 'passed';
    await reporter.now(1);
    await first;
    await reporter.stop();

    expect(statuses.map((status) => status.state)).toEqual(['success']);
  });
});
