import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { JobError, type ServiceLog } from '../../pipeline/executor.js';
import type { ResolvedService } from '../../pipeline/services.js';
import { demuxFrames, execOutput, lastLogLines } from './container-output.js';
import { removeContainer } from './docker-client.js';
import { LABEL_ROLE } from './dind.js';
import { pullImage, type RegistryAuth } from './pull-image.js';

/** A job's network namespace and the services in it, as a Kubernetes pod holds them. */
export interface JobPod {
  /**
   * Starts the services and waits until every TCP port each image exposes is listening. A
   * service that exits or is not ready in time fails the job, naming the service and showing
   * its last lines. Call `remove()` whatever happens.
   */
  start(): Promise<void>;
  /** What the job container's `NetworkMode` must be to join the services (once started). */
  networkMode: string;
  /** Each service's output so far (the last `SERVICE_LOG_BYTES` of it). */
  logs(): Promise<ServiceLog[]>;
  /** Removes the services and the namespace's holder; safe to call twice, and after the daemon is gone. */
  remove(): Promise<void>;
}

export interface JobPodOptions {
  /** The holder of the namespace runs the job's own image, which has the shell the job needs anyway. */
  jobImage: string;
  services: ResolvedService[];
  /** The job network: the namespace's way out. `host` would put every job's services on one loopback, so it becomes `none`. */
  network: string;
  hostConfig: Docker.HostConfig;
  readyTimeoutMs: number;
  signal: AbortSignal;
  output(text: string): void;
  authFor?(image: string): RegistryAuth | undefined;
}

export const SERVICE_LOG_BYTES = 64 * 1024;
const LOG_LINES_IN_ERRORS = 20;

/**
 * The namespace's own network. A service on the host network would collide with the same
 * service of a job beside it and be reachable from both, so there it has none at all.
 */
export function podNetwork(jobNetwork: string): string {
  return jobNetwork === 'host' ? 'none' : jobNetwork;
}

/** Ports in LISTEN state in `/proc/net/tcp` and `/proc/net/tcp6` text. */
export function listeningPorts(procNetTcp: string): Set<number> {
  const ports = new Set<number>();
  for (const line of procNetTcp.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st …; state 0A is LISTEN.
    if (fields.length < 4 || fields[3] !== '0A') continue;
    const port = Number.parseInt(fields[1]!.split(':').at(-1)!, 16);
    if (Number.isInteger(port)) ports.add(port);
  }
  return ports;
}

/** Only shell built-ins: the holder's image may have no `cat`. */
const READ_SOCKETS = ['/bin/sh', '-c', 'for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && while IFS= read -r l; do echo "$l"; done < "$f"; done; true'];

function tcpPorts(info: Docker.ImageInspectInfo): number[] {
  return Object.keys(info.Config?.ExposedPorts ?? {})
    .filter((port) => port.endsWith('/tcp') || !port.includes('/'))
    .map((port) => Number.parseInt(port, 10))
    .filter((port) => Number.isInteger(port));
}

async function removeFromDaemon(container: Docker.Container): Promise<void> {
  await removeContainer(container).catch((error: unknown) => {
    // The whole daemon is gone (a cancellation removes it): nothing is left either way.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ECONNREFUSED') return;
    throw error;
  });
}

async function pullService(docker: Docker, service: ResolvedService, signal: AbortSignal, auth?: RegistryAuth): Promise<Docker.ImageInspectInfo> {
  try {
    await pullImage(docker, service.image, signal, auth);
    return await docker.getImage(service.image).inspect();
  } catch (error) {
    if (signal.aborted) throw error;
    throw new JobError(`could not pull the image of service ${service.name} ("${service.image}"): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function indented(text: string): string {
  return text ? `; its last log lines:\n${text.replace(/^/gm, '  ')}` : '; it printed nothing';
}

/** A job's services in a network namespace of their own, with the job's aliases for them in its `/etc/hosts`. */
export function createJobPod(docker: Docker, options: JobPodOptions): JobPod {
  const { signal, services } = options;
  const started: Docker.Container[] = [];
  const running: Array<{ service: ResolvedService; container: Docker.Container }> = [];
  let removed: Promise<void> | undefined;
  const pod: JobPod = {
    networkMode: '',
    async logs() {
      return Promise.all(
        running.map(async ({ service, container }) => {
          const buffer = (await container.logs({ stdout: true, stderr: true, tail: 2000 }).catch(() => Buffer.alloc(0))) as Buffer;
          const log = demuxFrames(buffer);
          return { name: service.name, image: service.image, log: log.length > SERVICE_LOG_BYTES ? log.slice(-SERVICE_LOG_BYTES) : log };
        }),
      );
    },
    remove: () => (removed ??= Promise.all(started.map(removeFromDaemon)).then(() => undefined)),
    start,
  };
  return pod;

  async function start(): Promise<void> {
    const images = await Promise.all(services.map(async (service) => {
      options.output(`Starting service ${service.name} (${service.image}) as ${service.hostNames.join(', ')}\n`);
      return pullService(docker, service, signal, options.authFor?.(service.image));
    }));
    const network = podNetwork(options.network);
    if (network !== options.network) options.output(`The job and its services have no outside network: SLIPWAY_JOB_NETWORK is ${options.network}, which jobs with services cannot share\n`);

    const holder = await docker.createContainer({
      Image: options.jobImage,
      Entrypoint: ['/bin/sh', '-c', 'read _'],
      // An open stdin nobody writes to: `read` waits on it for as long as the job lasts.
      OpenStdin: true,
      Labels: { [LABEL_ROLE]: 'job-pod' },
      HostConfig: { ...options.hostConfig, NetworkMode: network, ExtraHosts: services.flatMap((service) => service.hostNames.map((name) => `${name}:127.0.0.1`)) },
    });
    started.push(holder);
    await holder.start();
    pod.networkMode = `container:${holder.id}`;

    for (const service of services) {
      const container = await docker.createContainer({
        Image: service.image,
        Env: Object.entries(service.env).map(([name, value]) => `${name}=${value}`),
        ...(service.entrypoint ? { Entrypoint: service.entrypoint } : {}),
        ...(service.command ? { Cmd: service.command } : {}),
        Labels: { [LABEL_ROLE]: 'service' },
        HostConfig: { ...options.hostConfig, NetworkMode: pod.networkMode },
      });
      started.push(container);
      running.push({ service, container });
      await container.start();
    }
    await waitForPorts(holder, running.map(({ service, container }, index) => ({ service, container, ports: tcpPorts(images[index]!) })), options);
  }
}

async function waitForPorts(
  holder: Docker.Container,
  waiting: Array<{ service: ResolvedService; container: Docker.Container; ports: number[] }>,
  options: JobPodOptions,
): Promise<void> {
  const deadline = Date.now() + options.readyTimeoutMs;
  let pending = waiting.filter((entry) => entry.ports.length > 0);
  for (const entry of waiting) if (entry.ports.length === 0) options.output(`Service ${entry.service.name} exposes no TCP port; not waiting for it\n`);
  while (pending.length > 0) {
    options.signal.throwIfAborted();
    // A failed look is "not ready yet": the deadline decides, not one hiccup of the daemon.
    const listening = await execOutput(holder, READ_SOCKETS).then(listeningPorts, () => new Set<number>());
    const stillPending: typeof pending = [];
    for (const entry of pending) {
      if (entry.ports.every((port) => listening.has(port))) {
        options.output(`Service ${entry.service.name} is ready on port ${entry.ports.join(', ')}\n`);
        continue;
      }
      const state = (await entry.container.inspect()).State;
      if (!state.Running) {
        throw new JobError(`service ${entry.service.name} (${entry.service.image}) exited with code ${state.ExitCode} before it was ready${indented(await lastLogLines(entry.container, LOG_LINES_IN_ERRORS))}`);
      }
      stillPending.push(entry);
    }
    pending = stillPending;
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      const late = pending[0]!;
      const closed = late.ports.filter((port) => !listening.has(port));
      throw new JobError(
        `service ${late.service.name} (${late.service.image}) did not accept connections on port ${closed.join(', ')} within ${Math.round(options.readyTimeoutMs / 1000)} s (SLIPWAY_SERVICE_READY_TIMEOUT)${indented(await lastLogLines(late.container, LOG_LINES_IN_ERRORS))}`,
      );
    }
    await sleep(250, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
