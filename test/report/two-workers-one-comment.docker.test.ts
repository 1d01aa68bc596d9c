import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/store/pool.js';
import { finished, spawnCli } from '../helpers/cli.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { fakeSha, labEnv, uniqueName } from '../helpers/docker-lab.js';
import { startStandIn, type StandIn } from '../helpers/stand-in.js';
import { waitFor } from '../helpers/wait-for.js';

describe('two worker processes reporting on one merge request', () => {
  let database: MigratedDatabase;
  let pool: Pool;
  let stand: StandIn;
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    database = await createMigratedDatabase();
    pool = database.pool;
    // A slow notes listing: both workers would list the notes before either created "the one".
    stand = await startStandIn(new Map(), { notesDelayMs: 400, archiveDelayMs: 1_500 });
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? finished(child) : undefined)));
    stand?.close();
    await database?.drop();
  });

  it('leave exactly one comment', async () => {
    const project = uniqueName('team/one-comment');
    // Two pipelines of merge request !5, each claimed by its own worker; neither has a source to fetch, so both fail at once and report.
    const outputs: string[] = [];
    for (let index = 0; index < 2; index += 1) {
      const child = spawnCli(['worker'], {
        ...labEnv,
        DATABASE_URL: database.url,
        GITLAB_URL: stand.url,
        GITLAB_TOKEN: 'glpat-test',
        SLIPWAY_CONCURRENCY: '1',
        LOG_LEVEL: 'info',
      });
      children.push(child);
      outputs.push('');
      child.stdout.on('data', (chunk: Buffer) => (outputs[index] += chunk.toString()));
      await waitFor('the worker to start', () => outputs[index]!.includes('"msg":"worker started"'));
    }
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO pipelines (forge, project, sha, ref, default_branch, change_request, forge_context)
       SELECT 'gitlab', $1, sha, 'feature', 'main', 5, '{"projectId": 42}' FROM unnest($2::text[]) AS sha RETURNING id`,
      [project, [fakeSha(), fakeSha()]],
    );
    const ids = rows.map((row) => row.id);

    await pool.query(`SELECT pg_notify('slipway_pipeline_queued', '')`);
    await waitFor('both pipelines to be claimed by different workers and to fail', async () => {
      const states = await pool.query<{ status: string }>('SELECT status FROM pipelines WHERE id = ANY($1)', [ids]);
      return states.rows.every((row) => row.status === 'failed');
    });
    const newest = Math.max(...ids);
    await waitFor('the comment to show the newest pipeline failed', () => stand.notes.get('42!5')?.some((note) => note.body.includes(`pipeline #${newest}`) && note.body.includes('failed')), 60_000);
    const creations = stand.calls.filter((call) => call.method === 'POST' && /merge_requests\/5\/notes$/.test(call.path));

    const claimedBy = outputs.map((output) => ids.filter((id) => output.includes(`"pipelineId":${id},`) && output.includes('pipeline claimed')).length);

    expect(claimedBy).toEqual([1, 1]);
    expect(stand.notes.get('42!5')).toHaveLength(1);
    expect(creations).toHaveLength(1);
  });
});
