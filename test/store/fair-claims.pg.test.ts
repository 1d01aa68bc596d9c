import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineQueue, type PipelineQueue } from '../../src/store/pipeline-queue.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { fakeSha } from '../helpers/docker-lab.js';
import { queueGitlabPush } from '../helpers/test-service.js';

describe('claiming pipelines across projects', () => {
  let database: MigratedDatabase;
  let queue: PipelineQueue;
  beforeAll(async () => {
    database = await createMigratedDatabase();
    queue = createPipelineQueue(database.pool);
  });
  afterAll(async () => {
    await database.drop();
  });

  /** A push on a branch of its own: pushes to one branch would replace each other. */
  const push = (project: string, branch: string) => queueGitlabPush(queue, project, fakeSha(), branch);
  const projectOf = async (id: number) => (await database.pool.query<{ project: string }>('SELECT project FROM pipelines WHERE id = $1', [id])).rows[0]!.project;
  const finish = (id: number) => database.pool.query(`UPDATE pipelines SET status = 'passed', finished_at = now(), lease_owner = NULL WHERE id = $1`, [id]);

  it('starts a project that has nothing running before more of a burst queued earlier', async () => {
    const burst: number[] = [];
    for (let i = 0; i < 6; i += 1) burst.push(await push('team/monorepo', `feature-${i}`));
    const small = await push('team/docs', 'main');
    const other = await push('team/api', 'main');

    const order: string[] = [];
    for (let i = 0; i < 4; i += 1) order.push(await projectOf((await queue.claim(`worker-${i}`, 60_000))!.id));

    // The burst's first goes first (oldest, nothing running anywhere); then whoever has least running.
    expect(order).toEqual(['team/monorepo', 'team/docs', 'team/api', 'team/monorepo']);
    expect([small, other].every((id) => id > burst.at(-1)!)).toBe(true);
    await database.pool.query(`UPDATE pipelines SET status = 'passed', finished_at = now() WHERE status IN ('queued', 'running')`);
  });

  it('never lets one project run more than its cap at once, and hands the slot on when one finishes', async () => {
    for (let i = 0; i < 4; i += 1) await push('team/capped', `branch-${i}`);

    const first = await queue.claim('worker-a', 60_000, 2);
    const second = await queue.claim('worker-b', 60_000, 2);
    const third = await queue.claim('worker-c', 60_000, 2);
    await finish(first!.id);
    const afterOneFinished = await queue.claim('worker-c', 60_000, 2);

    expect([first, second].map((claimed) => claimed?.target.project)).toEqual(['team/capped', 'team/capped']);
    expect(third).toBeNull();
    expect(afterOneFinished?.target.project).toBe('team/capped');
  });

  it('gives every pipeline to exactly one of many workers claiming at once, within the cap', async () => {
    await database.pool.query(`UPDATE pipelines SET status = 'passed', finished_at = now() WHERE status IN ('queued', 'running')`);
    for (let i = 0; i < 5; i += 1) await push('team/race', `race-${i}`);

    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => queue.claim(`racer-${i}`, 60_000, 3)));
    const won = claims.filter((claimed) => claimed !== null).map((claimed) => claimed!.id);

    expect(won).toHaveLength(3);
    expect(new Set(won).size).toBe(3);
  });
});
