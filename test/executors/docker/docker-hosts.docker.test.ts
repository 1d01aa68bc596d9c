import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_DOCKER_HOST, LABEL_INSTALLATION, LABEL_PIPELINE, LABEL_ROLE } from '../../../src/executors/docker/dind.js';
import { installationIdOf } from '../../../src/store/installation-id.js';
import { createPipelineQueue } from '../../../src/store/pipeline-queue.js';
import { forgeArchive } from '../../helpers/archive.js';
import { finished, spawnCli } from '../../helpers/cli.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/database.js';
import { EXAMPLE, fakeSha, host, uniqueName, workerEnv } from '../../helpers/docker-lab.js';
import { startStandIn, type StandIn } from '../../helpers/stand-in.js';
import { queueGitlabPush } from '../../helpers/test-service.js';
import { waitFor } from '../../helpers/wait-for.js';

const SHORT = 'test:\n  image: busybox\n  script: [sleep 3]\nbuild: false\n';

describe('one worker driving two Docker host entries', () => {
  let database: MigratedDatabase;
  let stand: StandIn;
  const archives = new Map<string, Buffer>();
  const children: ChildProcessWithoutNullStreams[] = [];
  const HOSTS = 'unix:///var/run/docker.sock?name=alpha&capacity=1 unix:///var/run/docker.sock?name=beta&capacity=1&tags=linux';
  const worker = () => {
    const child = spawnCli(['worker'], workerEnv(database.url, stand.url, { SLIPWAY_DOCKER_HOSTS: HOSTS }));
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    database = await createMigratedDatabase();
    stand = await startStandIn(archives);
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    stand?.close();
    await database?.drop();
  });

  /** A push on a branch of its own (pushes to one branch replace each other). */
  async function push(project: string, branch: string, files: Record<string, string | null> = { '.slipway.yml': SHORT }): Promise<number> {
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(EXAMPLE, files));
    return queueGitlabPush(createPipelineQueue(database.pool), project, sha, branch);
  }

  it('shares a burst between the hosts by capacity, and starts another project’s pipeline before the burst ends', async () => {
    const burstProject = uniqueName('slipway-test/burst');
    const burst: number[] = [];
    for (let i = 0; i < 4; i += 1) burst.push(await push(burstProject, `feature-${i}`));
    const other = await push(uniqueName('slipway-test/other'), 'main');
    const ours = new Set([...burst, other].map(String));
    // Both entries are this machine's Docker under two names: what differs is only the capacity and tags each gives.
    const child = worker();
    const done = finished(child);

    const hostOf = new Map<string, string>();
    let mostAtOnce = { alpha: 0, beta: 0 } as Record<string, number>;
    // Pipeline numbers restart with each test database: only this worker's installation's daemons count.
    const installation = await installationIdOf(database.pool);
    const finishedAll = async () => {
      const daemons = await host.listContainers({ all: true, filters: { label: [`${LABEL_ROLE}=dind`, `${LABEL_INSTALLATION}=${installation}`] } });
      const now: Record<string, number> = { alpha: 0, beta: 0 };
      for (const daemon of daemons) {
        const pipeline = daemon.Labels[LABEL_PIPELINE] ?? '';
        if (!ours.has(pipeline)) continue;
        const placed = daemon.Labels[LABEL_DOCKER_HOST] ?? '?';
        hostOf.set(pipeline, placed);
        now[placed] = (now[placed] ?? 0) + 1;
      }
      mostAtOnce = Object.fromEntries(Object.entries(now).map(([name, count]) => [name, Math.max(count, mostAtOnce[name] ?? 0)]));
      const { rows } = await database.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pipelines WHERE id = ANY($1) AND status NOT IN ('queued', 'running')`, [[...burst, other]]);
      return rows[0]!.n === 5;
    };
    await waitFor('every pipeline to finish', finishedAll, 240_000);
    const { rows } = await database.pool.query<{ id: number; status: string; started_at: Date }>('SELECT id, status, started_at FROM pipelines WHERE id = ANY($1) ORDER BY started_at', [[...burst, other]]);
    child.kill('SIGTERM');
    const result = await done;

    expect(rows.map((row) => row.status)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
    // Never more on a host than its capacity, and both hosts took their share.
    expect(mostAtOnce).toEqual({ alpha: 1, beta: 1 });
    expect(new Set(hostOf.values())).toEqual(new Set(['alpha', 'beta']));
    // The other project's one pipeline went second: the burst had one running, it had none.
    expect(rows.findIndex((row) => row.id === other)).toBe(1);
    expect(result.stdout).toContain('"docker":"alpha (unix:///var/run/docker.sock) ×1, beta (unix:///var/run/docker.sock) ×1 [linux]"');
  }, 300_000);

  it('refuses a pipeline whose jobs ask for runner tags no host has, naming them and the hosts', async () => {
    const file = 'train:\n  image: busybox\n  tags: [gpu, linux]\n  script: [echo never]\n';
    const id = await push(uniqueName('slipway-test/tagged'), 'main', { '.slipway.yml': null, '.gitlab-ci.yml': file });
    const child = worker();

    const row = await waitFor('the pipeline to be refused', async () => {
      const { rows } = await database.pool.query<{ status: string; error: string | null }>('SELECT status, error FROM pipelines WHERE id = $1', [id]);
      return rows[0]!.status !== 'queued' && rows[0]!.status !== 'running' && rows[0]!;
    }, 60_000);
    child.kill('SIGTERM');

    expect(row).toEqual({
      status: 'failed',
      error: 'could not prepare the pipeline: no Docker host of this worker has the runner tags gpu, linux its jobs ask for (SLIPWAY_DOCKER_HOSTS: alpha [], beta [linux])',
    });
  }, 120_000);
});
