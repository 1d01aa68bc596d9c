import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type Docker from 'dockerode';
import { removeContainer } from './docker-client.js';
import { containerName, dindHandle, installationFilter, LABEL_INSTALLATION, LABEL_OWNER, LABEL_PIPELINE, LABEL_ROLE, LABEL_SOCKET_FOLDER, startDind, type DindDaemon, type DindOptions } from './dind.js';
import { ownerIsGone } from '../owner-label.js';

/**
 * Daemons started and seeded before a pipeline needs them. Docker itself holds the pool's state,
 * so every process on the host (workers, `slipway run`) sees the same pool:
 * - `slipway-pool-…` is being seeded by the process its owner label names;
 * - the seeder renames it `slipway-ready-…` once seeded (only it ever renames);
 * - a claim is a second, never-started container named `slipway-claim-<daemon id>`: Docker
 *   reserves names atomically, so of two processes claiming the same daemon one gets a conflict.
 * A claimed daemon serves its pipeline alone and is destroyed with its claim, as a fresh one is.
 */

export const LABEL_POOL = 'dev.slipway.pool';
export const LABEL_LIFETIME = 'dev.slipway.pool-lifetime';
export const LABEL_SEEDS = 'dev.slipway.seeds';
export const LABEL_CLAIMS = 'dev.slipway.claims';

export interface PoolSettings {
  /** Most unclaimed pool daemons on the Docker host, all projects together; 0 turns the pool off. */
  size: number;
  /** Most unclaimed pool daemons seeded for one project and trust scope. */
  perProject: number;
  /** A ready daemon nobody claims within this is removed. */
  idleMs: number;
  /** `process`: this process's pool daemons go when it stops (workers); `detached`: they outlive it (`slipway run`). */
  lifetime: 'process' | 'detached';
}

export type PoolState = 'seeding' | 'ready' | 'claimed';

export interface PoolMember {
  id: string;
  name: string;
  affinity: string;
  seeds: string[];
  /** The process that seeds (or seeded) it. */
  owner: string;
  lifetime: 'process' | 'detached';
  socketFolder: string;
  createdMs: number;
  running: boolean;
  state: PoolState;
  claim?: { id: string; owner: string; pipelineId: string };
}

export interface PoolListing {
  members: PoolMember[];
  /** Claims whose daemon is gone. */
  strayClaims: string[];
}

function claimName(daemonId: string): string {
  return `slipway-claim-${daemonId.slice(0, 24)}`;
}

function parseSeeds(label: string | undefined): string[] {
  try {
    const seeds: unknown = JSON.parse(label ?? '[]');
    return Array.isArray(seeds) ? seeds.filter((seed): seed is string => typeof seed === 'string') : [];
  } catch {
    return [];
  }
}

/** The pool of `installation` on `host` (every installation's when not given: tests and operators). */
export async function listPool(host: Docker, installation?: string): Promise<PoolListing> {
  const [daemons, claims] = await Promise.all([
    host.listContainers({ all: true, filters: { label: installationFilter(installation, 'dind-pool') } }),
    host.listContainers({ all: true, filters: { label: installationFilter(installation, 'dind-claim') } }),
  ]);
  const claimOf = new Map(claims.map((info) => [info.Labels[LABEL_CLAIMS] ?? '', info]));
  const members = daemons.map((info): PoolMember => {
    const claim = claimOf.get(info.Id);
    const name = containerName(info);
    return {
      id: info.Id,
      name,
      affinity: info.Labels[LABEL_POOL] ?? '',
      seeds: parseSeeds(info.Labels[LABEL_SEEDS]),
      owner: info.Labels[LABEL_OWNER] ?? '',
      lifetime: info.Labels[LABEL_LIFETIME] === 'detached' ? 'detached' : 'process',
      socketFolder: info.Labels[LABEL_SOCKET_FOLDER] ?? name,
      createdMs: info.Created * 1000,
      running: info.State === 'running',
      state: claim ? 'claimed' : name.startsWith('slipway-ready-') ? 'ready' : 'seeding',
      ...(claim ? { claim: { id: claim.Id, owner: claim.Labels[LABEL_OWNER] ?? '', pipelineId: claim.Labels[LABEL_PIPELINE] ?? '' } } : {}),
    };
  });
  const known = new Set(daemons.map((info) => info.Id));
  return { members, strayClaims: claims.filter((info) => !known.has(info.Labels[LABEL_CLAIMS] ?? '')).map((info) => info.Id) };
}

/** Takes `member` for one pipeline; undefined when another process got it first. */
async function claim(host: Docker, member: PoolMember, pipelineId: string, owner: string, options: DindOptions): Promise<DindDaemon | undefined> {
  let claimId: string;
  try {
    const created = await host.createContainer({
      name: claimName(member.id),
      Image: options.image,
      Labels: { [LABEL_ROLE]: 'dind-claim', [LABEL_CLAIMS]: member.id, [LABEL_PIPELINE]: pipelineId, [LABEL_OWNER]: owner, [LABEL_INSTALLATION]: options.installation },
      NetworkDisabled: true,
    });
    claimId = created.id;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 409) return undefined;
    throw error;
  }
  return dindHandle(host, { id: member.id, name: member.name }, { kind: 'socket', folder: path.join(options.socketDir, member.socketFolder) }, [claimId]);
}

/**
 * A ready daemon seeded for `affinity`, claimed for `pipelineId`; undefined when there is none
 * (the caller starts a fresh one). The newest is taken first: its seeds are the freshest.
 */
export async function claimFromPool(host: Docker, affinity: string, pipelineId: string, owner: string, options: DindOptions, settings: PoolSettings): Promise<DindDaemon | undefined> {
  const { members } = await listPool(host, options.installation);
  const candidates = members
    .filter((member) => member.state === 'ready' && member.running && member.affinity === affinity && Date.now() - member.createdMs < settings.idleMs)
    .sort((a, b) => b.createdMs - a.createdMs);
  for (const member of candidates) {
    const daemon = await claim(host, member, pipelineId, owner, options);
    if (!daemon) continue;
    // A daemon that died since it was seeded is no use; the next candidate may be.
    if (await daemon.docker.ping().then(() => true, () => false)) return daemon;
    await daemon.destroy();
  }
  return undefined;
}

export interface SeedRequest {
  affinity: string;
  seeds: string[];
  /** Pulls one seed into the new daemon (with credentials where they are Slipway's to give). */
  pull(docker: Docker, image: string, signal: AbortSignal): Promise<void>;
}

/**
 * Starts a daemon for the pool and pulls the seeds into it, then marks it ready. A seed that
 * cannot be pulled is left out; the pipeline that gets the daemon pulls what it needs anyway.
 */
export async function seedPoolDaemon(host: Docker, request: SeedRequest, owner: string, options: DindOptions, settings: PoolSettings, signal: AbortSignal): Promise<PoolMember['name']> {
  const suffix = `${options.installation}-${randomBytes(6).toString('hex')}`;
  const daemon = await startDind(host, '', options, signal, {
    name: `slipway-pool-${suffix}`,
    labels: {
      [LABEL_INSTALLATION]: options.installation,
      [LABEL_ROLE]: 'dind-pool',
      [LABEL_POOL]: request.affinity,
      [LABEL_SEEDS]: JSON.stringify(request.seeds),
      [LABEL_OWNER]: owner,
      [LABEL_LIFETIME]: settings.lifetime,
    },
  });
  try {
    for (const image of request.seeds) {
      await request.pull(daemon.docker, image, signal).catch(() => signal.throwIfAborted());
    }
    signal.throwIfAborted();
    const ready = `slipway-ready-${suffix}`;
    await host.getContainer(daemon.containerId).rename({ name: ready });
    return ready;
  } catch (error) {
    await daemon.destroy();
    throw error;
  }
}

/**
 * Removes a daemon nobody holds. A ready one is claimed first, so no pipeline takes a daemon on
 * its way out; false when a pipeline got it first. One still seeding belongs to its seeder's
 * process, which finds it gone.
 */
async function removeUnclaimed(host: Docker, member: PoolMember, owner: string, options: DindOptions): Promise<boolean> {
  if (member.state === 'seeding') {
    await dindHandle(host, member, { kind: 'socket', folder: path.join(options.socketDir, member.socketFolder) }).destroy();
    return true;
  }
  const daemon = await claim(host, member, '', owner, options);
  await daemon?.destroy();
  return daemon !== undefined;
}

/** Room for one more daemon for `affinity`: false when it has its share; the oldest other one makes way when the pool is full. */
export async function makeRoom(host: Docker, affinity: string, owner: string, options: DindOptions, settings: PoolSettings): Promise<boolean> {
  const { members } = await listPool(host, options.installation);
  const unclaimed = members.filter((member) => member.state !== 'claimed');
  if (unclaimed.filter((member) => member.affinity === affinity).length >= settings.perProject) return false;
  if (unclaimed.length < settings.size) return true;
  const oldest = unclaimed.filter((member) => member.state === 'ready').sort((a, b) => a.createdMs - b.createdMs);
  for (const member of oldest) {
    if (await removeUnclaimed(host, member, owner, options)) return true;
  }
  return false;
}

/**
 * Removes what nobody will use: claims whose daemon or owner is gone (with the daemon: its
 * pipeline's worker died), daemons whose seeder died mid-way, ready ones past their idle time or
 * no longer running, and a process-lifetime pool whose owner is gone. Returns the pipelines
 * whose daemons went.
 */
export async function prunePool(
  host: Docker,
  owner: string,
  options: DindOptions,
  settings: Pick<PoolSettings, 'idleMs'>,
  isGone: (owner: string) => boolean = ownerIsGone,
): Promise<string[]> {
  const { members, strayClaims } = await listPool(host, options.installation);
  for (const id of strayClaims) await removeContainer(host.getContainer(id));
  const orphanedPipelines: string[] = [];
  for (const member of members) {
    if (member.state === 'claimed') {
      if (!isGone(member.claim!.owner)) continue;
      await dindHandle(host, member, { kind: 'socket', folder: path.join(options.socketDir, member.socketFolder) }, [member.claim!.id]).destroy();
      if (member.claim!.pipelineId) orphanedPipelines.push(member.claim!.pipelineId);
      continue;
    }
    const unwanted =
      member.state === 'seeding'
        ? isGone(member.owner)
        : !member.running || Date.now() - member.createdMs >= settings.idleMs || (member.lifetime === 'process' && isGone(member.owner));
    if (unwanted) await removeUnclaimed(host, member, owner, options);
  }
  return orphanedPipelines;
}

/** Removes this process's unclaimed pool daemons (a worker that stops takes its pool with it). */
export async function drainPool(host: Docker, owner: string, options: DindOptions, which: (member: PoolMember) => boolean = (member) => member.owner === owner): Promise<number> {
  const { members } = await listPool(host, options.installation);
  let removed = 0;
  for (const member of members.filter((candidate) => candidate.state !== 'claimed' && which(candidate))) {
    if (await removeUnclaimed(host, member, owner, options)) removed += 1;
  }
  return removed;
}
