import type Docker from 'dockerode';
import { claimFromPool, drainPool, listPool, makeRoom, prunePool, seedPoolDaemon, type PoolSettings, type PoolState, type SeedRequest } from './dind-pool.js';
import type { DindDaemon, DindOptions } from './dind.js';

/** What a process does with the host's pool: take from it, refill it in the background, and clean it. */
export interface WarmPool {
  claim(affinity: string, pipelineId: string): Promise<DindDaemon | undefined>;
  /** Seeds a daemon for `affinity`'s next pipeline, in the background, one at a time. */
  replenish(request: SeedRequest): void;
  /** Seeds now (what `slipway pool seed` runs); false when the pool had no room for it. */
  seed(request: SeedRequest): Promise<boolean>;
  /** Resolves once nothing waits to be seeded. */
  settled(): Promise<void>;
  /** `isGone`: which owners are dead (by default, those whose process is gone from this machine). */
  prune(isGone?: (owner: string) => boolean): Promise<string[]>;
  counts(): Promise<Record<PoolState, number>>;
  /** Stops seeding and, for a process-lifetime pool, removes this process's daemons. */
  stop(): Promise<void>;
}

export interface WarmPoolOptions {
  dind: DindOptions;
  settings: PoolSettings;
  owner: string;
  /** Runs a seed request elsewhere instead (`slipway run` hands it to a detached process that outlives it). */
  handOff?: (request: Pick<SeedRequest, 'affinity' | 'seeds'> & { installation: string }) => void;
  onError?: (error: unknown) => void;
}

const PRUNE_EVERY_MS = 60_000;

export function createWarmPool(host: Docker, options: WarmPoolOptions): WarmPool {
  const { dind, settings, owner } = options;
  const stopping = new AbortController();
  const pending = new Map<string, SeedRequest>();
  let running: Promise<void> | undefined;
  const report = (error: unknown) => {
    if (!stopping.signal.aborted) options.onError?.(error);
  };

  async function seed(request: SeedRequest): Promise<boolean> {
    if (settings.size === 0 || request.seeds.length === 0) return false;
    await prunePool(host, owner, dind, settings);
    if (!(await makeRoom(host, request.affinity, owner, dind, settings))) return false;
    await seedPoolDaemon(host, request, owner, dind, settings, stopping.signal);
    return true;
  }

  async function drain(): Promise<void> {
    while (pending.size > 0 && !stopping.signal.aborted) {
      const [affinity, request] = pending.entries().next().value as [string, SeedRequest];
      pending.delete(affinity);
      await seed(request).catch(report);
    }
    running = undefined;
  }

  // Idle daemons must go on time even when no pipeline comes to notice them.
  const timer = settings.size > 0 && settings.lifetime === 'process' ? setInterval(() => void prunePool(host, owner, dind, settings).catch(report), Math.min(PRUNE_EVERY_MS, settings.idleMs)) : undefined;
  timer?.unref();

  return {
    claim: (affinity, pipelineId) => (settings.size === 0 ? Promise.resolve(undefined) : claimFromPool(host, affinity, pipelineId, owner, dind, settings)),
    replenish(request) {
      if (settings.size === 0 || request.seeds.length === 0 || stopping.signal.aborted) return;
      if (options.handOff) {
        options.handOff({ affinity: request.affinity, seeds: request.seeds, installation: dind.installation });
        return;
      }
      // A later pipeline's seeds replace an earlier one's still waiting: they are fresher.
      pending.set(request.affinity, request);
      running ??= drain();
    },
    seed,
    async settled() {
      while (running) await running;
    },
    prune: (isGone) => prunePool(host, owner, dind, settings, isGone),
    async counts() {
      const { members } = await listPool(host, dind.installation);
      const counts: Record<PoolState, number> = { seeding: 0, ready: 0, claimed: 0 };
      for (const member of members) counts[member.state] += 1;
      return counts;
    },
    async stop() {
      if (timer) clearInterval(timer);
      stopping.abort(new Error('the pool is stopping'));
      pending.clear();
      await running?.catch(() => undefined);
      if (settings.lifetime === 'process') await drainPool(host, owner, dind);
    },
  };
}
