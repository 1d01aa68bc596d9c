import { environmentRepository } from '../src/registry/project-repositories.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promoteImage } from '../src/deploy/promote-image.js';
import { followProgress } from '../src/executors/docker/follow-progress.js';
import { pullImage } from '../src/executors/docker/pull-image.js';
import { packSource } from '../src/executors/docker/source-archive.js';
import { startDind } from '../src/executors/docker/dind.js';
import { executorOptions, host, registry, uniqueName } from '../test/helpers/docker-lab.js';
import { lab } from '../test/helpers/lab.js';
import { median, printTable } from './print-table.js';

const SAMPLES = 5;

async function buildAndPush(repository: string, dockerfile: string): Promise<{ digest: string; sizeMb: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-image-'));
  try {
    await writeFile(path.join(dir, 'Dockerfile'), dockerfile);
    const reference = `${lab.registry}/${repository}:built`;
    await followProgress(host, (await host.buildImage(packSource(dir), { t: reference, networkmode: 'none' })) as NodeJS.ReadableStream);
    await followProgress(host, (await host.getImage(`${lab.registry}/${repository}`).push({ tag: 'built' })) as NodeJS.ReadableStream);
    const size = (await host.getImage(reference).inspect()).Size;
    return { digest: (await registry.getManifest(repository, 'built'))!.digest, sizeMb: size / 1e6 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Promotion the way a CI job without Slipway does it: in a fresh daemon (as a CI runner has),
 * pull, tag, push. The daemon's start is not counted.
 */
async function pullTagPush(repository: string, environment: string): Promise<number> {
  const daemon = await startDind(host, uniqueName('bench-promote'), executorOptions.dind, new AbortController().signal);
  try {
    const docker = daemon.docker;
    const source = `${lab.registry}/${repository}:built`;
    return await time(async () => {
      await pullImage(docker, source, AbortSignal.timeout(600_000));
      await docker.getImage(source).tag({ repo: `${lab.registry}/${repository}`, tag: environment });
      await followProgress(docker, (await docker.getImage(`${lab.registry}/${repository}`).push({ tag: environment })) as NodeJS.ReadableStream);
    });
  } finally {
    await daemon.destroy();
  }
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

export async function promotionBench(): Promise<void> {
  const images = [
    { label: 'small (one 1 KB file)', dockerfile: 'FROM scratch\nCOPY Dockerfile /Dockerfile\n' },
    { label: 'large (python stand-in + 40 MB layer)', dockerfile: `FROM ${lab.registry}/library/python:3.8-slim\nRUN head -c 40000000 /dev/urandom > /blob\n` },
  ];
  for (const image of images) {
    const repository = uniqueName('bench/promote');
    const { digest, sizeMb } = await buildAndPush(repository, image.dockerfile);
    const retag: number[] = [];
    const classic: number[] = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      retag.push(await time(() => promoteImage(registry, repository, 'built', digest, `retag${i}`)));
      classic.push(await pullTagPush(repository, `classic${i}`));
    }
    const [fast, slow] = [median(retag), median(classic)];
    printTable(`promotion of a ${image.label} image, ${sizeMb.toFixed(1)} MB, median of ${SAMPLES}`, [
      ['manifest copy into <project>/environments (GET, blob mounts, PUT; the first one mounts, later ones find the blobs there)', `${fast.toFixed(1)} ms`],
      ['pull, tag, push in a fresh daemon', `${slow.toFixed(0)} ms`],
      ['ratio', `${(slow / fast).toFixed(0)}× faster by retag`],
      ['tags agree', String((await registry.getManifest(environmentRepository(repository), 'retag0'))?.digest === (await registry.getManifest(repository, 'classic0'))?.digest)],
    ]);
  }
}
