import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import type { DindSettings } from '../../config/load-config.js';
import { createDockerClient, isNotFound, removeContainer, type ClientTls } from './docker-client.js';
import { makeDaemonCertificates } from './daemon-certificates.js';
import { packFiles } from './source-archive.js';
import { ownerIsGone, ownerLabel } from '../owner-label.js';

import { mirroredReference, splitTag } from '../../registry/image-reference.js';
import { lastLogLines } from './container-output.js';
import { pullImage } from './pull-image.js';

export const LABEL_ROLE = 'dev.slipway.role';
export const LABEL_PIPELINE = 'dev.slipway.pipeline';
export const LABEL_OWNER = 'dev.slipway.owner';
/** Which of a worker's Docker hosts (SLIPWAY_DOCKER_HOSTS) the daemon runs on. */
export const LABEL_DOCKER_HOST = 'dev.slipway.docker-host';
/** The host folder (under the socket folder) holding the daemon's socket, when not named as the container. */
export const LABEL_SOCKET_FOLDER = 'dev.slipway.socket-folder';
/** The installation (its database's id) a container belongs to: no other installation touches it. */
export const LABEL_INSTALLATION = 'dev.slipway.installation';

export type DindOptions = DindSettings & {
  /** This installation's id: in every name and label, and the filter on everything Slipway lists. */
  installation: string;
};

/** Docker's label filter for this installation's containers of one role (or of any role). */
export function installationFilter(installation: string | undefined, role?: string): string[] {
  return [role ? `${LABEL_ROLE}=${role}` : LABEL_ROLE, ...(installation ? [`${LABEL_INSTALLATION}=${installation}`] : [])];
}

export interface DindDaemon {
  containerId: string;
  name: string;
  /** A client for the daemon inside: everything the pipeline runs goes here. */
  docker: Docker;
  destroy(): Promise<void>;
}

/** The daemon's socket inside its container: the host sees it in the bound socket folder. */
export const DIND_SOCKET = '/slipway/docker.sock';

/** Where the daemon's TLS files are inside its container. */
const TLS_DIR = '/slipway/tls';
/** Docker's TLS port, published on the Docker host unless the daemon shares the host's network. */
const DIND_TLS_PORT = 2376;

function daemonArgs(options: DindOptions, tlsPort: number | undefined): string[] {
  // The unix socket stays: jobs with `docker` access reach their daemon through it, inside.
  const args = [`--host=unix://${DIND_SOCKET}`];
  if (tlsPort !== undefined) {
    args.push(`--host=tcp://0.0.0.0:${tlsPort}`, '--tlsverify', `--tlscacert=${TLS_DIR}/ca.pem`, `--tlscert=${TLS_DIR}/server-cert.pem`, `--tlskey=${TLS_DIR}/server-key.pem`);
  }
  // On the host's network a second bridge and NAT rules would fight the host daemon's own.
  if (options.network === 'host') args.push('--bridge=none', '--iptables=false', '--ip6tables=false');
  if (options.registryMirror) args.push(`--registry-mirror=${options.registryMirror}`);
  if (options.mtu) args.push(`--mtu=${options.mtu}`);
  return args;
}

function securityConfig(options: DindOptions, socketFolder: string | undefined): Docker.HostConfig {
  const binds = socketFolder ? [`${socketFolder}:/slipway`] : [];
  if (options.privileged) return { Privileged: true, Binds: binds };
  return {
    CapAdd: ['ALL'],
    CapDrop: ['SYS_RESOURCE'],
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    Binds: [...binds, '/sys/fs/cgroup:/sys/fs/cgroup:rw'],
  };
}

/**
 * The dind image on the host. A Docker Hub name (`docker:dind`) comes through the mirror when
 * one is set, as a pull-through mirror would serve it, and is tagged under its own name.
 */
async function ensureImage(host: Docker, image: string, mirror: string | undefined, signal: AbortSignal): Promise<void> {
  try {
    await host.getImage(image).inspect();
    return;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const { repo, tag } = splitTag(image);
  const mirrored = mirror && !image.includes('@') ? mirroredReference(`${repo}:${tag}`, mirror) : null;
  if (!mirrored) return pullImage(host, image, signal);
  await pullImage(host, mirrored, signal);
  await host.getImage(mirrored).tag({ repo, tag });
}

async function waitUntilReady(container: Docker.Container, inner: Docker, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    const ready = await inner.ping().then(
      () => true,
      () => false,
    );
    if (ready) return;
    const state = await container.inspect().then((info) => info.State);
    if (!state.Running) {
      throw new Error(`the dind daemon exited with code ${state.ExitCode} before it was ready: ${await lastLogLines(container, 15)}`);
    }
    await sleep(100, undefined, { signal }).catch(() => undefined);
  }
  throw new Error(`the dind daemon was not ready within ${Math.round(timeoutMs / 1000)} s: ${await lastLogLines(container, 15)}`);
}

/** How a daemon is named and labelled: a pipeline's own by default, a pool's when given. */
export interface DindIdentity {
  name: string;
  labels: Record<string, string>;
}

export function pipelineIdentity(pipelineId: string, installation: string, owner: string = ownerLabel()): DindIdentity {
  return {
    name: `slipway-dind-${installation}-${pipelineId.replace(/[^a-zA-Z0-9_.-]/g, '-')}-${Date.now().toString(36)}`,
    labels: { [LABEL_ROLE]: 'dind', [LABEL_PIPELINE]: pipelineId, [LABEL_OWNER]: owner, [LABEL_INSTALLATION]: installation },
  };
}

/**
 * How Slipway reaches a daemon: its socket in a folder the Docker host shares with Slipway, or
 * over TCP with the certificate pair made for it (a Docker host reached over the network).
 */
export type DaemonAddress = { kind: 'socket'; folder: string } | { kind: 'tls'; host: string; port: number; tls: ClientTls };

/**
 * A running daemon: its client, and the one way it goes (with whatever else goes with it).
 * Cancellation and the normal end of a pipeline may both ask; the daemon goes once.
 */
export function dindHandle(host: Docker, container: { id: string; name: string }, address: DaemonAddress, alsoRemove: string[] = []): DindDaemon {
  let destroyed: Promise<void> | undefined;
  return {
    containerId: container.id,
    name: container.name,
    docker:
      address.kind === 'socket'
        ? createDockerClient(`unix://${path.join(address.folder, 'docker.sock')}`)
        : createDockerClient(`tcp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`, address.tls),
    destroy: () =>
      (destroyed ??= (async () => {
        for (const id of [container.id, ...alsoRemove]) await removeContainer(host.getContainer(id));
        if (address.kind === 'socket') await rm(address.folder, { recursive: true, force: true });
      })()),
  };
}

/** The names a daemon's certificate must carry: how Slipway reaches the Docker host, and loopback. */
function reachedAs(reachAt: string): { dns: string[]; ips: string[] } {
  const ips = new Set(['127.0.0.1']);
  const dns = new Set(['localhost']);
  (isIP(reachAt) ? ips : dns).add(reachAt);
  return { dns: [...dns], ips: [...ips] };
}

/** A port for a daemon on the host's own network: from the range Linux does not hand out itself. */
const hostNetworkPort = () => 20_000 + randomInt(12_000);

/** Starts a Docker daemon that belongs to one pipeline alone (or to the pool), and waits until it answers. */
export async function startDind(host: Docker, pipelineId: string, options: DindOptions, signal: AbortSignal, identity: DindIdentity = pipelineIdentity(pipelineId, options.installation)): Promise<DindDaemon> {
  await ensureImage(host, options.image, options.registryMirror, signal);
  if (options.connect === 'socket') return startSocketDind(host, options, signal, identity);
  // On the host's network two daemons may draw the same port: the loser exits at once, and is started again.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startTlsDind(host, options, signal, identity);
    } catch (error) {
      if (attempt >= 3 || options.network !== 'host' || !/address already in use/.test(String(error))) throw error;
    }
  }
}

async function startSocketDind(host: Docker, options: DindOptions, signal: AbortSignal, identity: DindIdentity): Promise<DindDaemon> {
  const { name } = identity;
  const socketFolder = path.join(options.socketDir, name);
  await mkdir(socketFolder, { recursive: true });
  let container: Docker.Container | undefined;
  try {
    container = await host.createContainer({
      name,
      Image: options.image,
      Cmd: daemonArgs(options, undefined),
      Labels: { ...identity.labels, [LABEL_SOCKET_FOLDER]: name },
      // Image layers inside must not sit on the outer overlay filesystem.
      Volumes: { '/var/lib/docker': {} },
      HostConfig: { ...securityConfig(options, socketFolder), NetworkMode: options.network },
    });
    return await started(container, dindHandle(host, { id: container.id, name }, { kind: 'socket', folder: socketFolder }), options, signal);
  } catch (error) {
    if (!container) await rm(socketFolder, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A daemon on a Docker host Slipway shares no folder with: a CA and certificate pair made for it
 * alone go in through the archive API, it listens on TCP with TLS, and only Slipway's client
 * certificate gets in. Its port is published on the Docker host (or drawn, on the host's network).
 */
async function startTlsDind(host: Docker, options: DindOptions, signal: AbortSignal, identity: DindIdentity): Promise<DindDaemon> {
  const certificates = await makeDaemonCertificates(reachedAs(options.reachAt));
  const onHostNetwork = options.network === 'host';
  const listenPort = onHostNetwork ? hostNetworkPort() : DIND_TLS_PORT;
  const published = `${DIND_TLS_PORT}/tcp`;
  const container = await host.createContainer({
    name: identity.name,
    Image: options.image,
    Cmd: daemonArgs(options, listenPort),
    Labels: identity.labels,
    Volumes: { '/var/lib/docker': {} },
    ...(onHostNetwork ? {} : { ExposedPorts: { [published]: {} } }),
    HostConfig: {
      ...securityConfig(options, undefined),
      NetworkMode: options.network,
      ...(onHostNetwork ? {} : { PortBindings: { [published]: [{ HostPort: '' }] } }),
    },
  });
  const remove = () => removeContainer(container);
  try {
    await container.putArchive(
      packFiles([
        { path: `${TLS_DIR}/ca.pem`, content: certificates.ca },
        { path: `${TLS_DIR}/server-cert.pem`, content: certificates.serverCert },
        { path: `${TLS_DIR}/server-key.pem`, content: certificates.serverKey },
      ]),
      { path: '/' },
    );
    await container.start();
  } catch (error) {
    await remove();
    throw error;
  }
  let port = listenPort;
  if (!onHostNetwork) {
    const bound = (await container.inspect().catch(() => undefined))?.NetworkSettings.Ports?.[published]?.[0]?.HostPort;
    if (!bound) {
      await remove();
      throw new Error(`the dind daemon's port ${published} was not published on the Docker host`);
    }
    port = Number(bound);
  }
  const address: DaemonAddress = { kind: 'tls', host: options.reachAt, port, tls: { ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey } };
  return started(container, dindHandle(host, { id: container.id, name: identity.name }, address), options, signal, true);
}

/** Waits for a created daemon to answer; one that never does is removed. */
async function started(container: Docker.Container, daemon: DindDaemon, options: DindOptions, signal: AbortSignal, alreadyStarted = false): Promise<DindDaemon> {
  try {
    if (!alreadyStarted) await container.start();
    await waitUntilReady(container, daemon.docker, options.readyTimeoutMs, signal);
  } catch (error) {
    await daemon.destroy();
    throw error;
  }
  return daemon;
}

export interface DindContainer {
  id: string;
  /** The container's name, which is also its socket folder's. */
  name: string;
  pipelineId: string;
  owner: string;
}

export function containerName(info: Docker.ContainerInfo): string {
  return (info.Names[0] ?? '').replace(/^\//, '');
}

/** The pipeline daemons of `installation` on `host` (of every installation when not given: tests and operators). */
export async function listDinds(host: Docker, installation?: string): Promise<DindContainer[]> {
  const containers = await host.listContainers({ all: true, filters: { label: installationFilter(installation, 'dind') } });
  return containers.map((info) => ({ id: info.Id, name: containerName(info), pipelineId: info.Labels[LABEL_PIPELINE] ?? '', owner: info.Labels[LABEL_OWNER] ?? '' }));
}

/** Removes `installation`'s dind daemons left behind by a crash; `isOrphan` decides which (by default: owner process gone). */
export async function removeOrphanDinds(
  host: Docker,
  installation: string,
  isOrphan: (dind: DindContainer) => boolean = (dind) => ownerIsGone(dind.owner),
  socketDir?: string,
): Promise<DindContainer[]> {
  const dinds = await listDinds(host, installation);
  const orphans = dinds.filter(isOrphan);
  for (const orphan of orphans) {
    await removeContainer(host.getContainer(orphan.id));
    if (socketDir) await rm(path.join(socketDir, orphan.name), { recursive: true, force: true });
  }
  if (socketDir) await removeStrandedSocketFolders(socketDir, installation, await liveSocketFolders(host, installation));
  return orphans;
}

/** The socket folders of every daemon of `installation` still there, the pool's included. */
async function liveSocketFolders(host: Docker, installation: string): Promise<Set<string>> {
  const containers = await host.listContainers({ all: true, filters: { label: installationFilter(installation) } });
  return new Set(containers.map((info) => info.Labels[LABEL_SOCKET_FOLDER] ?? containerName(info)));
}

/**
 * Socket folders with no daemon behind them (their owner died between making the folder and
 * starting the container). Young ones may belong to a daemon being started right now.
 */
async function removeStrandedSocketFolders(socketDir: string, installation: string, daemonFolders: ReadonlySet<string>, minAgeMs = 120_000): Promise<void> {
  const entries = await readdir(socketDir, { withFileTypes: true }).catch(() => []);
  // Only this installation's folders: another's, beside them, are its own business.
  const ours = [`slipway-dind-${installation}-`, `slipway-pool-${installation}-`];
  for (const entry of entries) {
    if (!entry.isDirectory() || !ours.some((prefix) => entry.name.startsWith(prefix)) || daemonFolders.has(entry.name)) continue;
    const folder = path.join(socketDir, entry.name);
    const age = Date.now() - (await stat(folder)).mtimeMs;
    if (age > minAgeMs) await rm(folder, { recursive: true, force: true });
  }
}
