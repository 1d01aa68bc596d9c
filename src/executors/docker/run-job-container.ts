import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { JobError, type JobFile, type JobInput, type ServiceLog, type WorkspaceReader } from '../../pipeline/executor.js';
import { PROJECT_DIR } from '../../pipeline/plan.js';
import type { ResolvedService } from '../../pipeline/services.js';
import { abortable } from '../../util/within-time.js';
import { isNotFound, removeContainer } from './docker-client.js';
import { pullImage, type RegistryAuth } from './pull-image.js';
import { createJobPod } from './job-services.js';
import { packFiles, packSource } from './source-archive.js';

export interface JobLimits {
  network: string;
  memory: string | undefined;
  cpus: number | undefined;
  pids: number | undefined;
}

/** Where a job with Docker access finds the pipeline's daemon, and what `DOCKER_HOST` says. */
const JOB_DOCKER_SOCKET = '/var/run/docker.sock';

export interface JobContainerOptions {
  image: string;
  script: string[];
  afterScript?: string[];
  /** The daemon's socket as the daemon running the job sees it; bound in, with `DOCKER_HOST` set to it. */
  dockerSocket?: string;
  env: Record<string, string>;
  sourceDir: string;
  limits: JobLimits;
  signal: AbortSignal;
  output(text: string): void;
  /** Credentials for pulling an image (the job's, a service's); none for an image that gets none. */
  authFor?(image: string): RegistryAuth | undefined;
  services?: ResolvedService[];
  serviceReadyTimeoutMs?: number;
  serviceLogs?(logs: ServiceLog[]): void;
  files?: JobFile[];
  inputs?: JobInput[];
  collect?(exitCode: number, workspace: WorkspaceReader): Promise<void>;
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function echoed(lines: string[]): string[] {
  return lines.flatMap((line) => [`printf '%s\\n' ${quote(`$ ${line}`)}`, line]);
}

/**
 * GitLab Runner's shell for a docker job: the first bash of the usual paths, else the first sh
 * (its own probe, in its order), so `echo -e` and `[[ … ]]` work where the image has bash. The
 * job's script is the probe's first argument.
 */
export const SHELL_PROBE = [
  ...['/usr/local/bin/bash', '/usr/bin/bash', '/bin/bash', '/usr/local/bin/sh', '/usr/bin/sh', '/bin/sh', '/busybox/sh'].map(
    (shell, index) => `${index === 0 ? 'if' : 'elif'} [ -x ${shell} ]; then exec ${shell} -c "$1"`,
  ),
  'else echo "shell not found: the image has no bash or sh" >&2; exit 1',
  'fi',
].join('\n');

/** As GitLab Runner starts a script: stop at the first failure, and a pipeline fails with any part where the shell knows pipefail (bash, busybox; not dash). */
const STRICT = 'if (set -o pipefail) 2>/dev/null; then set -o pipefail; fi; set -e';

/**
 * A shell script that echoes each line, GitLab-style, and stops at the first failure.
 * `afterLines` run next in a fresh subshell whatever happened, as GitLab's `after_script`;
 * the exit code stays the script's.
 */
export function shellScript(lines: string[], afterLines: string[] = []): string {
  if (afterLines.length === 0) return [STRICT, ...echoed(lines)].join('\n');
  return [
    '(',
    STRICT,
    ...echoed(lines),
    ')',
    'status=$?',
    `printf '%s\\n' 'Running after_script'`,
    // GitLab tells after_script how the script ended.
    'if [ "$status" -eq 0 ]; then CI_JOB_STATUS=success; else CI_JOB_STATUS=failed; fi; export CI_JOB_STATUS',
    '(',
    STRICT,
    ...echoed(afterLines),
    // Not `( … ) || …`: set -e is off inside a subshell whose status is tested.
    ')',
    'after=$?',
    `[ "$after" -eq 0 ] || printf 'after_script failed with exit code %s; the job keeps its own result\\n' "$after"`,
    'exit "$status"',
  ].join('\n');
}

/** `512m` -> bytes, as `docker run --memory` reads it. */
export function parseByteSize(size: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(size.trim());
  if (!match) throw new Error(`not a size: ${size}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * unit;
}

function hostConfig(limits: JobLimits, dockerSocket: string | undefined): Docker.HostConfig {
  return {
    NetworkMode: limits.network,
    ...(dockerSocket ? { Binds: [`${dockerSocket}:${JOB_DOCKER_SOCKET}`] } : {}),
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

/** How often a long pull says it is still going: a log silent for longer looks stuck. */
export const STILL_PULLING_EVERY_MS = 5_000;

/** Runs `work`, saying `line` every few seconds until it ends. */
async function whileSaying<T>(output: (text: string) => void, line: (seconds: number) => string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const ticker = setInterval(() => output(line(Math.round((Date.now() - started) / 1000))), STILL_PULLING_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(ticker);
  }
}

/**
 * Runs a script in a fresh container of `image` with the source copied in, beside its services
 * when it has any; resolves with its exit code.
 */
export async function runJobContainer(docker: Docker, options: JobContainerOptions): Promise<{ exitCode: number }> {
  const { signal } = options;
  options.output(`Pulling ${options.image}\n`);
  await whileSaying(options.output, (seconds) => `Still pulling ${options.image} (${seconds} s)\n`, () => pullJobImage(docker, options.image, signal, options.authFor?.(options.image)));
  signal.throwIfAborted();
  if (!options.services?.length) return runInContainer(docker, options, options.limits.network);

  const pod = createJobPod(docker, {
    jobImage: options.image,
    services: options.services,
    network: options.limits.network,
    hostConfig: hostConfig(options.limits, undefined),
    readyTimeoutMs: options.serviceReadyTimeoutMs ?? 30_000,
    signal,
    output: options.output,
    ...(options.authFor ? { authFor: options.authFor } : {}),
  });
  try {
    await pod.start();
    return await runInContainer(docker, options, pod.networkMode);
  } finally {
    // A canceled pipeline's daemon is being removed, and a request to it may never be answered.
    const bounded = AbortSignal.timeout(5_000);
    const logs = await abortable(pod.logs(), bounded).catch(() => []);
    if (logs.length > 0) options.serviceLogs?.(logs);
    // What cannot be removed now goes with the pipeline's daemon; the job keeps its own result.
    await abortable(pod.remove(), bounded).catch(() => undefined);
  }
}

function workspaceReader(container: Docker.Container): WorkspaceReader {
  return async (folder) => {
    try {
      return await container.getArchive({ path: folder === '' ? PROJECT_DIR : `${PROJECT_DIR}/${folder}` });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
}

async function runInContainer(docker: Docker, options: JobContainerOptions, networkMode: string): Promise<{ exitCode: number }> {
  const { signal } = options;
  const container = await abortable(docker.createContainer({
    Image: options.image,
    // `sh` from the image's PATH starts the probe, as GitLab Runner's does; `$0` is only a name.
    Entrypoint: ['sh', '-c', SHELL_PROBE, 'sh'],
    Cmd: [shellScript(options.script, options.afterScript)],
    // The file's own DOCKER_HOST (tcp://docker:2375, say) would point at a service that does not exist here.
    Env: Object.entries({ ...options.env, ...(options.dockerSocket ? { DOCKER_HOST: `unix://${JOB_DOCKER_SOCKET}` } : {}) }).map(([key, value]) => `${key}=${value}`),
    WorkingDir: PROJECT_DIR,
    Tty: false,
    HostConfig: { ...hostConfig(options.limits, options.dockerSocket), NetworkMode: networkMode },
  }), signal);
  try {
    await abortable(container.putArchive(packSource(options.sourceDir, PROJECT_DIR.slice(1)), { path: '/' }), signal);
    if (options.files?.length) await abortable(container.putArchive(packFiles(options.files), { path: '/' }), signal);
    for (const input of options.inputs ?? []) {
      const archive = await abortable(input.open(), signal);
      if (archive) await abortable(container.putArchive(archive, { path: PROJECT_DIR }), signal);
    }
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
      // The container has stopped but is still there: its workspace is read through the archive API.
      if (options.collect) await abortable(options.collect(StatusCode, workspaceReader(container)), signal);
      return { exitCode: StatusCode };
    } finally {
      signal.removeEventListener('abort', stop);
    }
  } finally {
    // After a cancellation the daemon is gone with the container in it; nothing is left to remove.
    if (!signal.aborted) {
      await removeContainer(container);
    }
  }
}
