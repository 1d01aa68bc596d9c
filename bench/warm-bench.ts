import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { listPool } from '../src/executors/docker/dind-pool.js';
import { createDockerExecutor } from '../src/executors/docker/docker-executor.js';
import { runPipeline } from '../src/pipeline/run/engine.js';
import { readPipeline } from '../src/pipeline/read/read-pipeline.js';
import { forgeArchive } from '../test/helpers/archive.js';
import { finished, listeningPort, spawnCli } from '../test/helpers/cli.js';
import { createTestDatabase } from '../test/helpers/database.js';
import { exampleCopy, executorOptions, fakeSha, host, labEnv, pipelineRun, uniqueName } from '../test/helpers/docker-lab.js';
import { gitlabPush } from '../test/helpers/forge-payloads.js';
import { lab } from '../test/helpers/lab.js';
import { startStandIn } from '../test/helpers/stand-in.js';
import { ADMIN_TOKEN, gitlabSecretFor } from '../test/helpers/test-service.js';
import { median, printTable } from './print-table.js';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_WARM_RUNS ?? 3);
const docker = (...args: string[]) => run('docker', args, { maxBuffer: 64 * 1024 * 1024 });

/**
 * The same work as the example's pipeline straight on the host's daemon, already warm: what a
 * shell runner on a long-lived build host does (and what Slipway's isolation is measured against).
 */
async function warmHostOnce(dir: string, repository: string): Promise<number> {
  const sha = fakeSha();
  const started = performance.now();
  await docker('run', '--rm', '--network', 'host', '-v', `${dir}:/workspace`, '-w', '/workspace', 'python:3.8-slim', 'sh', '-c', 'set -e; pip install -r requirements.txt; python -m tornado.testing test_hello_world');
  await docker('pull', `${repository}:latest`).catch(() => undefined);
  await docker('build', '--network', 'host', '--cache-from', `${repository}:latest`, '-t', `${repository}:${sha}`, dir);
  await docker('push', `${repository}:${sha}`);
  for (const tag of ['main', 'latest']) {
    await docker('tag', `${repository}:${sha}`, `${repository}:${tag}`);
    await docker('push', `${repository}:${tag}`);
  }
  return performance.now() - started;
}

async function codeChange(dir: string): Promise<void> {
  await appendFile(path.join(dir, 'hello.py'), `\n# a code-only change ${randomBytes(4).toString('hex')}\n`);
}

/** Seconds from a Push Hook to the first job's first script line, through `slipway serve` with a warm pool. */
interface Steps {
  accepted: number;
  claimed: number;
  jobStarted: number;
  firstLine: number;
}

async function webhookToFirstJob(dir: string): Promise<{ cold: number; warm: number[]; refillMs: number; steps: Steps[] }> {
  const steps: Steps[] = [];
  const database = await createTestDatabase();
  const archives = new Map<string, Buffer>();
  const stand = await startStandIn(archives);
  const project = uniqueName('bench/webhook-pool');
  // The job's first line is the moment its container runs, by the container's own clock (the same machine's).
  const slipwayYml = (await readFile(path.join(dir, '.slipway.yml'), 'utf8')).replace('script:\n', `script:\n    - python3 -c "import time; print('FIRST LINE AT %.3f' % time.time())"\n`);
  const server = spawnCli(['serve'], {
    ...labEnv,
    DATABASE_URL: database.url,
    PORT: '0',
    GITLAB_URL: stand.url,
    GITLAB_TOKEN: 'bench',
    SLIPWAY_ADMIN_TOKEN: ADMIN_TOKEN,
    SLIPWAY_CONCURRENCY: '1',
    SLIPWAY_POOL_SIZE: '2',
    LOG_LEVEL: 'info',
  });
  const client = new pg.Client({ connectionString: database.url });
  try {
    const port = await listeningPort(server);
    await client.connect();
    const push = async () => {
      const sha = fakeSha();
      await codeChange(dir);
      archives.set(sha, await forgeArchive(dir, { '.slipway.yml': slipwayYml }));
      const hook = gitlabPush({ project, sha });
      const token = await gitlabSecretFor(`http://127.0.0.1:${port}`, hook.project.id);
      const sent = Date.now();
      const response = await fetch(`http://127.0.0.1:${port}/webhooks/gitlab`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': token },
        body: JSON.stringify(hook),
      });
      if (response.status !== 202) throw new Error(`the webhook got ${response.status}`);
      for (;;) {
        const { rows } = await client.query<{ status: string; log: string | null; accepted: number; claimed: number; job: number }>(
          `SELECT p.status, (SELECT string_agg(c.content, '' ORDER BY c.seq) FROM jobs j JOIN job_log_chunks c ON c.job_id = j.id WHERE j.pipeline_id = p.id AND j.name = 'test') AS log,
                  extract(epoch FROM p.created_at) * 1000 AS accepted, extract(epoch FROM p.started_at) * 1000 AS claimed,
                  (SELECT extract(epoch FROM j.started_at) * 1000 FROM jobs j WHERE j.pipeline_id = p.id AND j.name = 'test') AS job
           FROM pipelines p WHERE p.sha = $1`,
          [sha],
        );
        const row = rows[0];
        if (row && ['passed', 'failed', 'canceled'].includes(row.status)) {
          const first = /^FIRST LINE AT (\d+\.\d+)$/m.exec(row.log ?? '');
          if (row.status !== 'passed' || !first) throw new Error(`the pipeline ${row.status}:\n${row.log}`);
          const firstLine = Number(first[1]) * 1000;
          steps.push({ accepted: Number(row.accepted) - sent, claimed: Number(row.claimed) - Number(row.accepted), jobStarted: Number(row.job) - Number(row.claimed), firstLine: firstLine - Number(row.job) });
          return firstLine - sent;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const waitForReady = async () => {
      const started = performance.now();
      while (!(await listPool(host)).members.some((member) => member.affinity.startsWith(`${project} `) && member.state === 'ready')) {
        if (performance.now() - started > 180_000) throw new Error('the server seeded no daemon for the project within 3 minutes');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return performance.now() - started;
    };
    const cold = await push();
    const refillMs = await waitForReady();
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      warm.push(await push());
      await waitForReady();
    }
    return { cold, warm, refillMs, steps: steps.slice(1) };
  } finally {
    await client.end().catch(() => undefined);
    server.kill('SIGTERM');
    await finished(server);
    stand.close();
    await database.drop();
  }
}

export async function warmBench(): Promise<void> {
  const dir = await exampleCopy();
  if (process.env.BENCH_WARM_ONLY !== 'webhook') await pipelineVersusHost(dir);
  try {
    const webhook = await webhookToFirstJob(dir);
    printTable('webhook to the first job’s first script line, slipway serve with SLIPWAY_POOL_SIZE=2', [
      ['empty pool (fresh daemon)', `${webhook.cold.toFixed(0)} ms`],
      ['warm pool', `${median(webhook.warm).toFixed(0)} ms median (${webhook.warm.map((ms) => ms.toFixed(0)).join(', ')})`],
      ['pool refill after the first pipeline', `${webhook.refillMs.toFixed(0)} ms`],
      [
        'warm, step by step (medians)',
        (['accepted', 'claimed', 'jobStarted', 'firstLine'] as const).map((step) => `${step} +${median(webhook.steps.map((sample) => sample[step])).toFixed(0)} ms`).join(', '),
      ],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function pipelineVersusHost(dir: string): Promise<void> {
  const repository = `${lab.registry}/${uniqueName('bench/warm-host')}`;
  const project = uniqueName('bench/warm');
  const executor = createDockerExecutor(host, {
    ...executorOptions,
    registry: lab.registry,
    pool: { settings: { size: 2, perProject: 1, idleMs: 3_600_000, lifetime: 'process' } },
  });
  try {
    // The host is warm: the job image is there and one build has been pushed.
    await docker('pull', `${lab.registry}/library/python:3.8-slim`);
    await docker('tag', `${lab.registry}/library/python:3.8-slim`, 'python:3.8-slim');
    await warmHostOnce(dir, repository);
    const plan = await readPipeline(dir);
    /** `pooled`: the pipeline may take a seeded daemon, and leaves one seeded for the next. */
    const slipway = async (pooled = true) => {
      await codeChange(dir);
      const started = performance.now();
      const result = await runPipeline(pipelineRun(dir, plan, { project, sha: fakeSha(), ...(pooled ? { affinity: `${project} protected` } : {}) }), executor);
      const wallMs = performance.now() - started;
      if (result.status !== 'passed') throw new Error(`the pipeline ${result.status}: ${result.error ?? JSON.stringify(result.jobs)}`);
      const refillStarted = performance.now();
      await executor.pool!.settled();
      return { ms: result.durationMs, wallMs, warm: result.warm === true, refillMs: performance.now() - refillStarted, cached: `${result.image?.cachedSteps}/${result.image?.totalSteps}` };
    };
    // The first run pushes the first cache image; cold runs take a fresh daemon that pulls everything.
    const first = await slipway(false);
    const cold = await slipway(false);
    await slipway();
    const hostSamples: number[] = [];
    const warm: Array<Awaited<ReturnType<typeof slipway>>> = [];
    // Interleaved, so a slow minute on the VM falls on both sides.
    for (let i = 0; i < RUNS; i += 1) {
      await codeChange(dir);
      hostSamples.push(await warmHostOnce(dir, repository));
      warm.push(await slipway());
    }
    const warmMedian = median(warm.map((sample) => sample.ms));
    const hostMedian = median(hostSamples);
    printTable(`warm start: the example after a code-only change (test job, then cached build and push); medians of ${RUNS}`, [
      ['warm host (docker run, build, push on the host daemon)', `${hostMedian.toFixed(0)} ms (${hostSamples.map((ms) => ms.toFixed(0)).join(', ')})`],
      ['Slipway, first run (fresh daemon, no cache image yet)', `${first.ms} ms`],
      ['Slipway cold (fresh daemon, cache image in the registry)', `${cold.ms} ms to the result, ${cold.wallMs.toFixed(0)} ms with the daemon's removal; ${cold.cached} steps cached`],
      ['Slipway warm (daemon seeded for the project)', `${warmMedian.toFixed(0)} ms to the result (${warm.map((sample) => `${sample.ms}${sample.warm ? '' : ' not warm'}`).join(', ')}), ${median(warm.map((sample) => sample.wallMs)).toFixed(0)} ms with the daemon's removal; ${warm[0]?.cached} steps cached`],
      ['warm / host', `${(warmMedian / hostMedian).toFixed(2)} to the result, ${(median(warm.map((sample) => sample.wallMs)) / hostMedian).toFixed(2)} with the removal`],
      ['cold / warm', (cold.ms / warmMedian).toFixed(2)],
      ['pool refill after a pipeline (seed a new daemon)', `${median(warm.map((sample) => sample.refillMs)).toFixed(0)} ms`],
    ]);
  } finally {
    await executor.stop?.();
  }
}
