import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listPool, prunePool, type PoolSettings } from '../../../src/executors/docker/dind-pool.js';
import { ownerLabel } from '../../../src/executors/owner-label.js';
import { createDockerExecutor } from '../../../src/executors/docker/docker-executor.js';
import { runPipeline } from '../../../src/pipeline/run/engine.js';
import { readPipeline } from '../../../src/pipeline/read/read-pipeline.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { runCli } from '../../helpers/cli.js';
import { executorOptions, fakeSha, host, labEnv, pipelineRun, tinyAppCopy, uniqueName } from '../../helpers/docker-lab.js';
import { lab } from '../../helpers/lab.js';
import { waitFor } from '../../helpers/wait-for.js';

const settings: PoolSettings = { size: 6, perProject: 2, idleMs: 600_000, lifetime: 'process' };
const executor = createDockerExecutor(host, { ...executorOptions, registry: lab.registry, pool: { settings } });
/** A seed the registry does not have: the daemon is ready at once, with nothing pulled. */
const NOTHING = `${lab.registry}/slipway-test/none:missing`;

/** Each job's output, by job name. */
function outputs() {
  const byJob = new Map<string, string>();
  return { byJob, observer: { jobOutput: (job: { name: string }, text: string) => byJob.set(job.name, (byJob.get(job.name) ?? '') + text) } };
}

async function membersFor(affinity: string) {
  return (await listPool(host)).members.filter((member) => member.affinity === affinity);
}

describe('the pool of seeded dind daemons', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
    await executor.stop?.();
  });

  it('seeds a daemon from what a pipeline pulled, and the next pipeline on it gives the same results as on a fresh one', async () => {
    const dir = await tinyAppCopy();
    folders.push(dir);
    const plan = await readPipeline(dir);
    const project = uniqueName('slipway-test/pool');
    const affinity = `${project} protected`;
    const sha = fakeSha();

    const freshLog = outputs();
    const fresh = await runPipeline(pipelineRun(dir, plan, { project, sha, affinity }), executor, freshLog.observer);
    await executor.pool!.settled();
    const [seeded] = await membersFor(affinity);
    const warmLog = outputs();
    const warm = await runPipeline(pipelineRun(dir, plan, { project, sha, affinity }), executor, warmLog.observer);

    expect(fresh.warm).toBeUndefined();
    expect(seeded).toMatchObject({ state: 'ready', running: true });
    expect(seeded!.seeds).toEqual(expect.arrayContaining(['busybox:latest', `${lab.registry}/${project}:main`, `${lab.registry}/${project}:latest`]));
    expect(seeded!.seeds).not.toContain(`${lab.registry}/${project}:${sha}`);
    expect(warm.warm).toBe(true);
    expect(warm.jobs.map((job) => [job.name, job.status, job.error])).toEqual(fresh.jobs.map((job) => [job.name, job.status, job.error]));
    expect(warm.status).toBe('passed');
    // The same inputs build the same image, whichever daemon built it.
    expect(warm.image?.digest).toMatch(/^sha256:/);
    expect(warm.image?.digest).toBe(fresh.image?.digest);
    const commands = (log: string) => log.split('\n').filter((line) => line.startsWith('$ ') || line === 'OK');
    expect(commands(warmLog.byJob.get('test')!)).toEqual(commands(freshLog.byJob.get('test')!));
    expect(commands(warmLog.byJob.get('test')!)).toContain('OK');
    // The daemon it ran on went with it.
    expect((await listPool(host)).members.map((member) => member.id)).not.toContain(seeded!.id);
  });

  it('hands the next pipeline untouched images after one replaced and deleted what its daemon was seeded with', async () => {
    const project = uniqueName('slipway-test/pool-tamper');
    const affinity = `${project} unprotected`;
    expect(await executor.pool!.seed(affinity, ['busybox', 'docker:latest'])).toBe(true);
    expect(await executor.pool!.seed(affinity, ['busybox', 'docker:latest'])).toBe(true);
    const tamper = await tinyAppCopy({
      '.slipway.yml': null,
      '.gitlab-ci.yml': [
        'tamper:',
        '  image: docker:latest',
        '  services: [docker:dind]',
        '  script:',
        `    - docker image inspect --format 'before {{.Id}}' busybox`,
        '    - docker rmi -f busybox',
        '    - docker tag docker:latest busybox',
        `    - docker image inspect --format 'after {{.Id}}' busybox`,
      ].join('\n'),
    });
    const check = await tinyAppCopy({
      '.slipway.yml': null,
      '.gitlab-ci.yml': ['check:', '  image: docker:latest', '  services: [docker:dind]', '  script:', `    - docker image inspect --format 'seeded {{.Id}}' busybox`].join('\n'),
    });
    folders.push(tamper, check);

    // One daemon per project for the pipelines themselves: the first one's refill finds the
    // second seeded daemon still there and adds none, so the second pipeline gets that one.
    const oneEach = createDockerExecutor(host, { ...executorOptions, registry: lab.registry, pool: { settings: { ...settings, perProject: 1 } } });
    const tamperLog = outputs();
    const checkLog = outputs();
    let tampered, checked;
    try {
      tampered = await runPipeline(pipelineRun(tamper, await readPipeline(tamper), { project, ref: 'feature/x', affinity }), oneEach, tamperLog.observer);
      checked = await runPipeline(pipelineRun(check, await readPipeline(check), { project, ref: 'feature/x', affinity }), oneEach, checkLog.observer);
    } finally {
      await oneEach.stop!();
    }

    const before = /^before (sha256:\w+)$/m.exec(tamperLog.byJob.get('tamper') ?? '')?.[1];
    const after = /^after (sha256:\w+)$/m.exec(tamperLog.byJob.get('tamper') ?? '')?.[1];
    const seeded = /^seeded (sha256:\w+)$/m.exec(checkLog.byJob.get('check') ?? '')?.[1];
    expect([tampered.status, tampered.warm, checked.status, checked.warm], `${tamperLog.byJob.get('tamper')}\n${checkLog.byJob.get('check')}`).toEqual(['passed', true, 'passed', true]);
    expect(before).toMatch(/^sha256:/);
    expect(after).toMatch(/^sha256:/);
    expect(after).not.toBe(before);
    expect(seeded).toBe(before);
  });

  it('gives a daemon to exactly one of two worker processes claiming it at once, and recovers it after the winner dies', async () => {
    const affinity = `${uniqueName('slipway-test/pool-race')} protected`;
    expect(await executor.pool!.seed(affinity, [NOTHING])).toBe(true);
    const claimers = ['a', 'b'].map((name) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../../helpers/claim-from-pool.ts'), affinity, `race-${name}-${process.pid}`], { stdio: ['pipe', 'pipe', 'inherit'] });
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      return { child, next: async () => (await lines.next()).value as string };
    });
    for (const claimer of claimers) expect(await claimer.next()).toBe('ready');
    for (const claimer of claimers) claimer.child.stdin.write('go\n');
    const results = await Promise.all(claimers.map(async (claimer) => JSON.parse(await claimer.next()) as { claimed: string | null }));
    await Promise.all(claimers.map((claimer) => new Promise((resolve) => (claimer.child.exitCode === null ? claimer.child.on('exit', resolve) : resolve(undefined)))));

    const winners = results.filter((result) => result.claimed !== null);
    expect(winners).toHaveLength(1);
    const [member] = await membersFor(affinity);
    expect(member).toMatchObject({ id: winners[0]!.claimed, state: 'claimed' });
    // The winner exited holding its claim, as a crashed worker would: recovery removes the daemon and names its pipeline.
    const recovered = await prunePool(host, ownerLabel(), executorOptions.dind, settings);
    expect(recovered).toContain(member!.claim!.pipelineId);
    expect(await membersFor(affinity)).toEqual([]);
    expect((await host.listContainers({ all: true })).map((info) => info.Id)).not.toContain(member!.id);
  });

  it('leaves nothing behind when a pipeline on a pool daemon is canceled', async () => {
    const affinity = `${uniqueName('slipway-test/pool-cancel')} protected`;
    expect(await executor.pool!.seed(affinity, ['busybox'])).toBe(true);
    const dir = await tinyAppCopy({ '.slipway.yml': null, '.gitlab-ci.yml': 'slow:\n  image: busybox\n  script:\n    - echo started\n    - sleep 600\n' });
    folders.push(dir);
    const controller = new AbortController();
    const log = outputs();
    const running = runPipeline(pipelineRun(dir, await readPipeline(dir), { affinity }), executor, log.observer, controller.signal);
    await waitFor('the job to start', async () => (log.byJob.get('slow') ?? '').includes('started'), 60_000);
    const [claimed] = await membersFor(affinity);
    controller.abort(new Error('canceled by a test'));
    const result = await running;

    expect(claimed).toMatchObject({ state: 'claimed' });
    expect(result.status).toBe('canceled');
    await waitFor('the daemon and its claim to go', async () => {
      const ids = (await host.listContainers({ all: true })).map((info) => info.Id);
      return !ids.includes(claimed!.id) && !ids.includes(claimed!.claim!.id);
    });
  });

  it('removes its own daemons when it stops, and counts the pool for /metrics', async () => {
    const own = createDockerExecutor(host, { ...executorOptions, registry: lab.registry, pool: { settings: { ...settings, perProject: 1 } } });
    const affinity = `${uniqueName('slipway-test/pool-stop')} protected`;
    expect(await own.pool!.seed(affinity, [NOTHING])).toBe(true);
    // Its share is taken: a second seeding for the same project is refused, not stacked.
    expect(await own.pool!.seed(affinity, [NOTHING])).toBe(false);
    const metrics = createMetrics({ poolCounts: () => own.pool!.counts() });
    const scraped = await metrics.registry.metrics();
    await own.stop!();

    expect(scraped).toMatch(/^slipway_pool_daemons\{state="ready"\} [1-9]\d*$/m);
    expect(scraped).toMatch(/^slipway_pool_daemons\{state="seeding"\} \d+$/m);
    expect(await membersFor(affinity)).toEqual([]);
  });

  it('makes slipway run warm the second time: the first leaves a daemon seeding after it exits', async () => {
    const dir = await tinyAppCopy();
    folders.push(dir);
    const project = uniqueName('slipway-test/pool-cli');
    const env = { ...labEnv, SLIPWAY_POOL_SIZE: '4' };
    const first = await runCli(['run', dir, '--json', '--project', project, '--ref', 'main', '--sha', fakeSha()], env);
    await waitFor('the daemon seeded after the first run', async () => (await membersFor(`local:${project} protected`)).some((member) => member.state === 'ready'), 120_000);
    const status = await runCli(['pool', 'status'], env);
    const second = await runCli(['run', dir, '--json', '--project', project, '--ref', 'main', '--sha', fakeSha()], env);
    await waitFor('the daemon seeded after the second run', async () => (await membersFor(`local:${project} protected`)).some((member) => member.state === 'ready'), 120_000);
    const drained = await runCli(['pool', 'drain'], env);

    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'passed', warm: false });
    expect(status.stdout).toMatch(new RegExp(`slipway-ready-[\\w-]+  ready  local:${project} protected  .*seeds: .*busybox`));
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'passed', warm: true });
    expect(drained.stdout).toMatch(/^Removed [1-9]\d* pool daemons?\.$/m);
    expect(await membersFor(`local:${project} protected`)).toEqual([]);
  });
});
