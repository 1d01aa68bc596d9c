import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobTokenStore, type JobTokenStore } from '../../src/store/job-token-store.js';
import { createPipelineStore } from '../../src/store/pipeline-store.js';
import type { Pool } from '../../src/store/pool.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { fakeSha } from '../helpers/docker-lab.js';

describe('CI_JOB_TOKEN validity', () => {
  let database: MigratedDatabase;
  let pool: Pool;
  let tokens: JobTokenStore;

  beforeAll(async () => {
    database = await createMigratedDatabase();
    pool = database.pool;
    tokens = createJobTokenStore(pool);
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** A pipeline running under `owner`'s lease, and a token issued to `owner`. */
  async function running(owner: string): Promise<{ id: number; token: string }> {
    const { id } = await createPipelineStore(pool).create({ forge: 'local', project: 'team/app', sha: fakeSha(), ref: 'main', defaultBranch: 'main' }, [], owner);
    return { id, token: await tokens.issue({ pipelineId: id, repository: 'team/app', actions: ['pull', 'push'], leaseOwner: owner }) };
  }

  it('honours a token only while the claim it was issued to holds', async () => {
    const { id, token } = await running('worker-a');
    const valid = await tokens.lookup(token);

    // Another worker took the pipeline over.
    await pool.query(`UPDATE pipelines SET lease_owner = 'worker-b' WHERE id = $1`, [id]);
    const afterTakeover = await tokens.lookup(token);

    expect(valid).toEqual({ pipelineId: id, repository: 'team/app', actions: ['pull', 'push'] });
    expect(afterTakeover).toBeNull();
  });

  it.each([
    ['a cancellation was asked', 'cancel_requested = true'],
    ['the lease ran out', `lease_expires_at = now() - interval '1 second'`],
    ['the pipeline finished', `status = 'passed'`],
  ])('ends a token once %s', async (_name, change) => {
    const { id, token } = await running('worker-a');

    await pool.query(`UPDATE pipelines SET ${change} WHERE id = $1`, [id]);

    expect(await tokens.lookup(token)).toBeNull();
  });

  it('revokes one claim’s tokens and leaves the next claim’s alone', async () => {
    const { id, token: first } = await running('worker-a');
    await pool.query(`UPDATE pipelines SET lease_owner = 'worker-b' WHERE id = $1`, [id]);
    const second = await tokens.issue({ pipelineId: id, repository: 'team/app', actions: ['pull'], leaseOwner: 'worker-b' });

    await tokens.revoke(id, 'worker-a');
    const stillValid = await tokens.lookup(second);
    await tokens.revoke(id, 'worker-b');

    expect(stillValid?.actions).toEqual(['pull']);
    expect(await tokens.lookup(second)).toBeNull();
    expect((await pool.query('SELECT count(*)::int AS n FROM job_tokens WHERE pipeline_id = $1', [id])).rows[0].n).toBe(0);
    expect(await tokens.lookup(first)).toBeNull();
  });
});
