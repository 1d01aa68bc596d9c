import { setTimeout as sleep } from 'node:timers/promises';

export interface ClaimLoopOptions<T> {
  /** Items carried out at once. */
  concurrency: number;
  /** How often to look for work when nobody wakes the loop. */
  pollMs: number;
  /** Work for every round before claiming: sweeps, recovery. */
  beforeRound?(): Promise<void>;
  /** The next item to carry out, claimed under a lease; null when there is none. */
  claim(): Promise<T | null>;
  run(item: T): Promise<void>;
  /** A round failed (the database did not answer, say); the loop goes on. */
  onError(error: unknown): void;
}

export interface ClaimLoop {
  /** Look for work now instead of at the next poll. */
  wake(): void;
  /** Stops claiming; what is under way finishes first. */
  stop(): Promise<void>;
}

/** Claims and carries out items, up to `concurrency` at once, woken early by `wake()`: pipelines and approved deploys alike. */
export function startClaimLoop<T>(options: ClaimLoopOptions<T>): ClaimLoop {
  const active = new Set<Promise<void>>();
  let stopped = false;
  let wakeUp: (() => void) | undefined;

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        await options.beforeRound?.();
        while (!stopped && active.size < options.concurrency) {
          const item = await options.claim();
          if (item === null) break;
          const running = options.run(item).finally(() => {
            active.delete(running);
            wakeUp?.();
          });
          active.add(running);
        }
      } catch (error) {
        options.onError(error);
      }
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        void sleep(options.pollMs).then(resolve);
      });
      wakeUp = undefined;
    }
  }

  const looping = loop();
  return {
    wake: () => wakeUp?.(),
    async stop() {
      stopped = true;
      wakeUp?.();
      await looping;
      await Promise.all([...active]);
    },
  };
}

/**
 * Renews a lease every third of its length while `work` runs; `onLost` hears when the lease
 * is no longer held (another process took the item over).
 */
export async function holdingLease<T>(leaseMs: number, renew: () => Promise<boolean>, onLost: () => void, onError: (error: unknown) => void, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    renew().then((held) => held || onLost(), onError);
  }, Math.max(100, Math.floor(leaseMs / 3)));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
