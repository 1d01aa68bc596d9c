import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline as streamPipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { createDockerClient } from '../../src/executors/docker/docker-client.js';
import { listDinds } from '../../src/executors/docker/dind.js';
import type { DockerExecutorOptions } from '../../src/executors/docker/docker-executor.js';
import type { PipelineRun } from '../../src/pipeline/run/engine.js';
import type { PipelinePlan } from '../../src/pipeline/plan.js';
import type { PipelineFacts } from '../../src/model/pipeline-facts.js';
import { createRegistryClient } from '../../src/registry/registry-client.js';
import { repositoryPath } from '../../src/pipeline/image-names.js';
import { exampleFacts } from './example-facts.js';
import { lab } from './lab.js';
import { TEST_SIGNING_KEY_FILE } from './test-signing-key.js';

export const host = createDockerClient();

/** One file of a container, read through the archive API (no process is started in it). */
export async function containerFile(container: Docker.Container, file: string): Promise<string> {
  const archive = await container.getArchive({ path: file });
  const extract = tar.extract();
  const contents: Buffer[] = [];
  extract.on('entry', (header, stream, next) => {
    stream.on('data', (chunk: unknown) => {
      if (header.type === 'file') contents.push(chunk as Buffer);
    });
    stream.on('end', next);
  });
  await streamPipeline(archive, extract);
  return Buffer.concat(contents).toString('utf8');
}
export const registry = createRegistryClient({ host: lab.registry });

/**
 * Puts the python stand-in's layers into `project`'s repository before its first push, by
 * cross-repository mount, as a repository pushed to before would have them. A fresh daemon
 * pulled them through the mirror and knows them as Docker Hub's, so it cannot mount them
 * itself: without this every such test's first push uploads the same 150 MB again (7 s of
 * gzip and upload), which a team's repository does once in its life.
 */
export async function seedPythonLayers(project: string): Promise<void> {
  const manifest = await registry.getManifest('library/python', '3.8-slim');
  const layers = manifest ? (JSON.parse(manifest.bytes.toString('utf8')) as { layers?: Array<{ digest: string }> }).layers : undefined;
  if (!layers?.length) throw new Error('the lab registry has no library/python:3.8-slim: run scripts/lab.sh');
  for (const { digest } of layers) await registry.mountBlob(repositoryPath(project), digest, 'library/python');
}

/** The lab's way of running dind: no --privileged on this VM, host network only. */
export const executorOptions: DockerExecutorOptions = {
  dind: {
    image: lab.dindImage,
    privileged: false,
    network: 'host',
    mtu: undefined,
    socketDir: path.join(os.tmpdir(), 'slipway-dind-test'),
    connect: 'socket',
    reachAt: '127.0.0.1',
    readyTimeoutMs: 60_000,
    registryMirror: `http://${lab.registry}`,
    installation: 'labtests',
  },
  job: { network: 'host', memory: undefined, cpus: undefined, pids: undefined },
  serviceReadyTimeoutMs: 30_000,
};

/** A test's `slipway worker` process: the lab, its own database, and GitLab (a stand-in) to fetch sources from. */
export function workerEnv(databaseUrl: string, gitlabUrl: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...labEnv, LOG_LEVEL: 'info', DATABASE_URL: databaseUrl, GITLAB_URL: gitlabUrl, GITLAB_TOKEN: 'glpat-test', ...extra };
}

export const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/hello-tornado');

/**
 * The example's shape (a test job, a 7-step Dockerfile build) on busybox: for tests whose job
 * image is beside the point, a fresh daemon pulls it in a moment instead of seconds.
 */
export const TINY_APP = path.resolve(import.meta.dirname, '../fixtures/tiny-app');

/** A private copy of the Tornado example, with `changes` (file -> content, or null to remove it) written over it. */
export function exampleCopy(changes: Record<string, string | null> = {}): Promise<string> {
  return copyWith(EXAMPLE, changes);
}

/** A private copy of the tiny app, with `changes` written over it. */
export function tinyAppCopy(changes: Record<string, string | null> = {}): Promise<string> {
  return copyWith(TINY_APP, changes);
}

async function copyWith(source: string, changes: Record<string, string | null>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-example-'));
  await cp(source, dir, { recursive: true });
  for (const [file, content] of Object.entries(changes)) {
    if (content === null) await rm(path.join(dir, file), { force: true });
    else {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), content);
    }
  }
  return dir;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function fakeSha(): string {
  return randomBytes(20).toString('hex');
}

/** Facts of a lab pipeline, with `overrides`. */
export function labFacts(overrides: Partial<PipelineFacts> = {}): PipelineFacts {
  return exampleFacts({ id: uniqueName('test'), project: uniqueName('slipway-test/hello'), sha: fakeSha(), registry: lab.registry, ...overrides });
}

/** A run of `plan` in `sourceDir` on the lab; facts and run settings may be overridden alike. */
export function pipelineRun(sourceDir: string, plan: PipelinePlan, overrides: Partial<PipelineFacts> & Partial<Omit<PipelineRun, 'facts'>> = {}): PipelineRun {
  const { id, project, sha, ref, defaultBranch, changeRequest, fromFork, registry, ...settings } = overrides;
  const facts = labFacts(Object.fromEntries(Object.entries({ id, project, sha, ref, defaultBranch, changeRequest, fromFork, registry }).filter(([, value]) => value !== undefined)));
  return { facts, sourceDir, plan, pushAllowed: true, secrets: [], jobTimeoutMs: 120_000, ...settings };
}

export async function dindsOf(pipelineId: string) {
  return (await listDinds(host)).filter((dind) => dind.pipelineId === pipelineId);
}

/** The environment `slipway` needs to run pipelines in the lab. */
export const labEnv: NodeJS.ProcessEnv = {
  SLIPWAY_REGISTRY: lab.registry,
  SLIPWAY_REGISTRY_MIRROR: `http://${lab.registry}`,
  SLIPWAY_DIND_IMAGE: lab.dindImage,
  SLIPWAY_DIND_PRIVILEGED: 'false',
  SLIPWAY_DIND_NETWORK: 'host',
  SLIPWAY_DIND_SOCKET_DIR: executorOptions.dind.socketDir,
  SLIPWAY_JOB_NETWORK: 'host',
  // Each test starts its pipelines on a fresh daemon, as without a pool; the pool's own tests turn it on.
  SLIPWAY_POOL_SIZE: '0',
  SLIPWAY_SIGNING_KEY_FILE: TEST_SIGNING_KEY_FILE,
  LOG_LEVEL: 'warn',
};
