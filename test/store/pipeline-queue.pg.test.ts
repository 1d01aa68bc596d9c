import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForgeEvent } from '../../src/model/forge-event.js';
import { createPipelineQueue, type PipelineQueue } from '../../src/store/pipeline-queue.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { fakeSha, uniqueName } from '../helpers/docker-lab.js';
import { queueGitlabPush } from '../helpers/test-service.js';

/** A queue on a database of its own for the enclosing describe. */
function queueOnOwnDatabase(): { database: MigratedDatabase; queue: PipelineQueue } {
  const context = {} as { database: MigratedDatabase; queue: PipelineQueue };
  beforeAll(async () => {
    context.database = await createMigratedDatabase();
    context.queue = createPipelineQueue(context.database.pool);
  });
  afterAll(async () => {
    await context.database?.drop();
  });
  return context;
}

describe('claiming pipelines across projects', () => {
  const context = queueOnOwnDatabase();

  /** A push on a branch of its own: pushes to one branch would replace each other. */
  const push = (project: string, branch: string) => queueGitlabPush(context.queue, project, fakeSha(), branch);
  const projectOf = async (id: number) => (await context.database.pool.query<{ project: string }>('SELECT project FROM pipelines WHERE id = $1', [id])).rows[0]!.project;
  const finish = (id: number) => context.database.pool.query(`UPDATE pipelines SET status = 'passed', finished_at = now(), lease_owner = NULL WHERE id = $1`, [id]);

  it('starts a project that has nothing running before more of a burst queued earlier', async () => {
    const burst: number[] = [];
    for (let i = 0; i < 6; i += 1) burst.push(await push('team/monorepo', `feature-${i}`));
    const small = await push('team/docs', 'main');
    const other = await push('team/api', 'main');

    const order: string[] = [];
    for (let i = 0; i < 4; i += 1) order.push(await projectOf((await context.queue.claim(`worker-${i}`, 60_000))!.id));

    // The burst's first goes first (oldest, nothing running anywhere); then whoever has least running.
    expect(order).toEqual(['team/monorepo', 'team/docs', 'team/api', 'team/monorepo']);
    expect([small, other].every((id) => id > burst.at(-1)!)).toBe(true);
    await context.database.pool.query(`UPDATE pipelines SET status = 'passed', finished_at = now() WHERE status IN ('queued', 'running')`);
  });

  it('never lets one project run more than its cap at once, and hands the slot on when one finishes', async () => {
    for (let i = 0; i < 4; i += 1) await push('team/capped', `branch-${i}`);

    const first = await context.queue.claim('worker-a', 60_000, 2);
    const second = await context.queue.claim('worker-b', 60_000, 2);
    const third = await context.queue.claim('worker-c', 60_000, 2);
    await finish(first!.id);
    const afterOneFinished = await context.queue.claim('worker-c', 60_000, 2);

    expect([first, second].map((claimed) => claimed?.target.project)).toEqual(['team/capped', 'team/capped']);
    expect(third).toBeNull();
    expect(afterOneFinished?.target.project).toBe('team/capped');
  });

  it('gives every pipeline to exactly one of many workers claiming at once, within the cap', async () => {
    await context.database.pool.query(`UPDATE pipelines SET status = 'passed', finished_at = now() WHERE status IN ('queued', 'running')`);
    for (let i = 0; i < 5; i += 1) await push('team/race', `race-${i}`);

    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => context.queue.claim(`racer-${i}`, 60_000, 3)));
    const won = claims.filter((claimed) => claimed !== null).map((claimed) => claimed!.id);

    expect(won).toHaveLength(3);
    expect(new Set(won).size).toBe(3);
  });
});

describe('the facts a claim hands over', () => {
  const context = queueOnOwnDatabase();

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
    const accepted = await context.queue.accept(event);
    expect(accepted.outcome).toBe('queued');

    const claimed = await context.queue.claim('worker-a', 60_000);

    expect(claimed).toEqual({
      id: accepted.outcome === 'queued' ? accepted.pipelineId : -1,
      resume: false,
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
      deploy: null,
    });
  });

  it('keeps what rules:changes compares with when a pipeline is retried', async () => {
    const event = mergeRequest(uniqueName('team/app'));
    await context.queue.accept(event);
    const first = (await context.queue.claim('worker-a', 60_000))!;
    await context.database.pool.query(`UPDATE pipelines SET status = 'failed', finished_at = now() WHERE id = $1`, [first.id]);

    const retried = await context.queue.retry(first.id);
    const claimed = await context.queue.claim('worker-a', 60_000);

    expect(retried).toEqual({ id: claimed?.id });
    expect(claimed?.facts).toEqual({ ...first.facts, id: String(claimed?.id) });
  });
});
