import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDinds } from '../../src/executors/docker/dind.js';
import { createJobTokenStore } from '../../src/store/job-token-store.js';
import { createPipelineQueue } from '../../src/store/pipeline-queue.js';
import type { Pool } from '../../src/store/pool.js';
import { forgeArchive } from '../helpers/archive.js';
import { finished, spawnCli } from '../helpers/cli.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { EXAMPLE, executorOptions, fakeSha, host, uniqueName, workerEnv } from '../helpers/docker-lab.js';
import { startStandIn, type StandIn } from '../helpers/stand-in.js';
import { waitFor } from '../helpers/wait-for.js';
import { fakeGitlab } from '../helpers/fake-forges.js';
import { gitlabPush } from '../helpers/forge-payloads.js';
import { GITLAB_URL, postGitlab, queueGitlabPush, startTestService } from '../helpers/test-service.js';

// The job shows its token reversed (the log masks it as written) so the test can try it afterwards.
const SCRIPT = `test:
  image: busybox
  script:
    - echo "TOKEN:$(printf %s "$CI_JOB_TOKEN" | rev):END"
    - sleep 25
build: false
`;
const SLEEPER = 'test:\n  image: busybox\n  script: [sleep 120]\nbuild: false\n';

describe('a worker killed mid-pipeline while another runs', () => {
  let database: MigratedDatabase;
  let pool: Pool;
  let stand: StandIn;
  const archives = new Map<string, Buffer>();
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    database = await createMigratedDatabase();
    pool = database.pool;
    stand = await startStandIn(archives);
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    const mine = (await listDinds(host)).filter((dind) => children.some((child) => dind.owner.includes(`/${child.pid}.`)));
    for (const dind of mine) await host.getContainer(dind.id).remove({ force: true, v: true }).catch(() => undefined);
    stand?.close();
    await database?.drop();
  });

  const worker = async (name?: string) => {
    const child = spawnCli(['worker'], workerEnv(database.url, stand.url, { ...(name ? { SLIPWAY_WORKER_NAME: name } : {}), SLIPWAY_CONCURRENCY: '1', SLIPWAY_LEASE_SECONDS: '3' }));
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the worker to start', () => output.includes('"msg":"worker started"'));
    return { child, done: finished(child) };
  };
  const logOf = async (pipelineId: number) =>
    (
      await pool.query<{ log: string | null }>(
        `SELECT string_agg(c.content, '' ORDER BY j.id, c.seq) AS log FROM job_log_chunks c JOIN jobs j ON j.id = c.job_id WHERE j.pipeline_id = $1`,
        [pipelineId],
      )
    ).rows[0]!.log ?? '';

  it('leaves no daemon, folder or valid job token of a worker on another machine once its heartbeat stopped and another took over', async () => {
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(EXAMPLE, { '.slipway.yml': SCRIPT }));
    const accepted = { pipelineId: await queueGitlabPush(createPipelineQueue(pool), uniqueName('slipway-test/death'), sha) };
    // Named as another machine: no process id here can tell it died, only its silence.
    const doomed = await worker('another-machine');
    const printed = await waitFor('the job to print its token', async () => /TOKEN:(\S+):END/.exec(await logOf(accepted.pipelineId)));
    const token = printed[1]!.split('').reverse().join('');
    const jobTokens = createJobTokenStore(pool);
    const dind = (await listDinds(host)).find((candidate) => candidate.pipelineId === String(accepted.pipelineId))!;
    const owner = dind.owner;
    const beating = (await pool.query<{ id: string }>('SELECT id FROM workers')).rows.map((row) => row.id);
    const sourcePrefix = `slipway-src-${doomed.child.pid}-`;
    const validBefore = await jobTokens.lookup(token);
    const sourceBefore = readdirSync(os.tmpdir()).some((name) => name.startsWith(sourcePrefix));

    await worker();
    doomed.child.kill('SIGKILL');
    await doomed.done;
    await waitFor('the other worker to take the pipeline over', async () => (await pool.query('SELECT attempts FROM pipelines WHERE id = $1', [accepted.pipelineId])).rows[0].attempts === 2);
    await waitFor(
      'the dead worker’s daemon and its socket folder to be removed',
      async () => !(await listDinds(host)).some((candidate) => candidate.owner === owner) && !existsSync(path.join(executorOptions.dind.socketDir, dind.name)),
    );

    const stale = await pool.query<{ silent: boolean }>(`SELECT now() - heartbeat_at > interval '3 seconds' AS silent FROM workers WHERE id = $1`, [owner]);

    expect(validBefore?.pipelineId).toBe(accepted.pipelineId);
    expect(sourceBefore).toBe(true);
    expect(owner).toMatch(new RegExp(`^another-machine/${doomed.child.pid}\\.\\d+/[0-9a-f]{6}$`));
    expect(beating).toContain(owner);
    expect(stale.rows).toEqual([{ silent: true }]);
    expect(await jobTokens.lookup(token)).toBeNull();
    expect(readdirSync(os.tmpdir()).filter((name) => name.startsWith(sourcePrefix))).toEqual([]);
  });

  it('hears of a cancelling webhook at once: the superseded pipeline’s daemon is gone within five seconds', async () => {
    const project = uniqueName('slipway-test/cancel');
    const [first, second] = [fakeSha(), fakeSha()];
    archives.set(first, await forgeArchive(EXAMPLE, { '.slipway.yml': SLEEPER }));
    archives.set(second, await forgeArchive(EXAMPLE, { '.slipway.yml': 'test:\n  image: busybox\n  script: [echo done]\nbuild: false\n' }));
    await worker();
    // The webhooks arrive at another process (HTTP only), as in a scaled-out set-up.
    const front = await startTestService({}, { workers: false, deploys: false }, database);
    fakeGitlab(GITLAB_URL, new Map());
    try {
      const queued = (await (await postGitlab(front.base, 'Push Hook', gitlabPush({ project, sha: first }))).json()) as { pipelineId: number };
      const daemon = await waitFor('the first pipeline’s job to run', async () => {
        const running = (await pool.query(`SELECT count(*)::int AS n FROM jobs WHERE pipeline_id = $1 AND status = 'running'`, [queued.pipelineId])).rows[0].n === 1;
        return running && (await listDinds(host)).find((candidate) => candidate.pipelineId === String(queued.pipelineId));
      });

      const started = performance.now();
      await postGitlab(front.base, 'Push Hook', gitlabPush({ project, sha: second }));
      await waitFor('the superseded daemon to go', async () => !(await listDinds(host)).some((candidate) => candidate.id === daemon.id), 10_000);
      const elapsed = performance.now() - started;
      // The worker records the cancellation once its job has stopped, just after the daemon went.
      const status = await waitFor('the superseded pipeline to be recorded as canceled', async () => {
        const row = (await pool.query<{ status: string }>('SELECT status FROM pipelines WHERE id = $1', [queued.pipelineId])).rows[0]!;
        return row.status !== 'running' && row.status;
      });

      expect(elapsed).toBeLessThan(5_000);
      expect(status).toBe('canceled');
    } finally {
      await front.stop();
    }
  });
});
