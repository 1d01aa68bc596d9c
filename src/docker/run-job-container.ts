import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { JobError } from '../pipeline/executor.js';
import { abortable } from './abortable.js';
import { isNotFound } from './docker-client.js';
import { pullImage, type RegistryAuth } from './pull-image.js';
import { packSource } from './source-archive.js';

export const WORKSPACE = '/workspace';

export interface JobLimits {
  network: string;
  memory: string | undefined;
  cpus: number | undefined;
  pids: number | undefined;
}

export interface JobContainerOptions {
  image: string;
  script: string[];
  env: Record<string, string>;
  sourceDir: string;
  limits: JobLimits;
  signal: AbortSignal;
  output(text: string): void;
  auth?: RegistryAuth;
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A POSIX shell script that echoes each line, GitLab-style, and stops at the first failure. */
export function shellScript(lines: string[]): string {
  return ['set -e', ...lines.flatMap((line) => [`printf '%s\\n' ${quote(`$ ${line}`)}`, line])].join('\n');
}

/** `512m` -> bytes, as `docker run --memory` reads it. */
export function parseByteSize(size: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(size.trim());
  if (!match) throw new Error(`not a size: ${size}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * unit;
}

function hostConfig(limits: JobLimits): Docker.HostConfig {
  return {
    NetworkMode: limits.network,
    ...(limits.memory ? { Memory: parseByteSize(limits.memory) } : {}),
    ...(limits.cpus ? { NanoCpus: Math.round(limits.cpus * 1e9) } : {}),
    ...(limits.pids ? { PidsLimit: limits.pids } : {}),
  };
}

async function pullJobImage(docker: Docker, image: string, signal: AbortSignal, auth?: RegistryAuth): Promise<void> {
  try {
    await pullImage(docker, image, signal, auth);
  } catch (error) {
    if (signal.aborted) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new JobError(`could not pull the job image "${image}": ${reason}`, { cause: error });
  }
}

/** Runs a script in a fresh container of `image` with the source copied in; resolves with its exit code. */
export async function runJobContainer(docker: Docker, options: JobContainerOptions): Promise<{ exitCode: number }> {
  const { signal } = options;
  options.output(`Pulling ${options.image}\n`);
  await pullJobImage(docker, options.image, signal, options.auth);
  signal.throwIfAborted();

  const container = await abortable(docker.createContainer({
    Image: options.image,
    Entrypoint: ['/bin/sh', '-c'],
    Cmd: [shellScript(options.script)],
    Env: Object.entries(options.env).map(([key, value]) => `${key}=${value}`),
    WorkingDir: WORKSPACE,
    Tty: false,
    HostConfig: hostConfig(options.limits),
  }), signal);
  try {
    await abortable(container.putArchive(packSource(options.sourceDir, WORKSPACE.slice(1)), { path: '/' }), signal);
    const stream = await abortable(container.attach({ stream: true, stdout: true, stderr: true }), signal);
    const decoded = new PassThrough();
    decoded.on('data', (chunk: Buffer) => options.output(chunk.toString('utf8')));
    docker.modem.demuxStream(stream, decoded, decoded);
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));

    const stop = () => void container.kill().catch(() => undefined);
    signal.addEventListener('abort', stop, { once: true });
    try {
      await abortable(container.start(), signal);
      const { StatusCode } = (await abortable(container.wait(), signal)) as { StatusCode: number };
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      signal.throwIfAborted();
      return { exitCode: StatusCode };
    } finally {
      signal.removeEventListener('abort', stop);
    }
  } finally {
    // After a cancellation the daemon is gone with the container in it; nothing is left to remove.
    if (!signal.aborted) {
      await container.remove({ force: true, v: true }).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
    }
  }
}
