import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForgeEvent } from '../../src/model/forge-event.js';
import { createPipelineQueue, type PipelineQueue } from '../../src/store/pipeline-queue.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { fakeSha, uniqueName } from '../helpers/docker-lab.js';

describe('the pipeline queue', () => {
  let database: MigratedDatabase;
  let queue: PipelineQueue;
  beforeAll(async () => {
    database = await createMigratedDatabase();
    queue = createPipelineQueue(database.pool);
  });
  afterAll(async () => {
    await database.drop();
  });

  const mergeRequest = (project: string): ForgeEvent => ({
    target: { forge: 'gitlab', project, apiContext: { projectId: 9, protectedBranches: 'main\nrelease/*' } },
    deliveryId: uniqueName('delivery'),
    event: 'merge_request.open',
    action: 'run',
    sha: fakeSha(),
    ref: 'feature',
    defaultBranch: 'main',
    changeRequest: 12,
    fromFork: true,
    diffBase: 'develop',
  });

  it('gives a worker the pipeline’s facts as the forge’s event told them, in the one shape the engine takes', async () => {
    const event = mergeRequest(uniqueName('team/app'));
    const accepted = await queue.accept(event);
    expect(accepted.outcome).toBe('queued');

    const claimed = await queue.claim('worker-a', 60_000);

    expect(claimed).toEqual({
      id: accepted.outcome === 'queued' ? accepted.pipelineId : -1,
      facts: {
        id: String(claimed?.id),
        forge: 'gitlab',
        project: event.target.project,
        sha: event.sha,
        ref: 'feature',
        defaultBranch: 'main',
        changeRequest: 12,
        fromFork: true,
        diffBase: 'develop',
        forgeProtectedRefs: ['main', 'release/*'],
      },
      target: event.target,
      attempts: 1,
      retry: null,
    });
  });

  it('keeps what rules:changes compares with when a pipeline is retried', async () => {
    const event = mergeRequest(uniqueName('team/app'));
    await queue.accept(event);
    const first = (await queue.claim('worker-a', 60_000))!;
    await database.pool.query(`UPDATE pipelines SET status = 'failed', finished_at = now() WHERE id = $1`, [first.id]);

    const retried = await queue.retry(first.id);
    const claimed = await queue.claim('worker-a', 60_000);

    expect(retried).toEqual({ id: claimed?.id });
    expect(claimed?.facts).toEqual({ ...first.facts, id: String(claimed?.id) });
  });
});
