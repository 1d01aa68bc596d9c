import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { followProgress } from '../../src/executors/docker/follow-progress.js';
import { packSource } from '../../src/executors/docker/source-archive.js';
import { host, registry } from './docker-lab.js';
import { lab } from './lab.js';

/**
 * Builds a small image on the python stand-in (metadata-only steps, so it takes a moment),
 * pushes it to the lab registry as `repository:tag`, and returns its digest.
 */
export async function pushTestImage(repository: string, tag: string, dockerfileBody: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-image-'));
  try {
    await writeFile(path.join(dir, 'Dockerfile'), `FROM ${lab.registry}/library/python:3.8-slim\n${dockerfileBody}\n`);
    const reference = `${lab.registry}/${repository}:${tag}`;
    await followProgress(host, (await host.buildImage(packSource(dir), { t: reference })) as NodeJS.ReadableStream);
    await followProgress(host, (await host.getImage(`${lab.registry}/${repository}`).push({ tag })) as NodeJS.ReadableStream);
    const manifest = await registry.getManifest(repository, tag);
    if (!manifest) throw new Error(`${reference} did not reach the registry`);
    return manifest.digest;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
