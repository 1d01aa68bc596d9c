import type { DeadOwners, ExecutionEnvironment, Executor, PipelineIdentity } from '../pipeline/executor.js';

/** One place pipelines can run, with how many at once and the runner tags it offers. */
export interface Placement {
  name: string;
  capacity: number;
  /** Runner tags it offers (GitLab's `tags:` choose among hosts once any host has some). */
  tags: string[];
  executor: Executor;
}

/**
 * Several executors (one per Docker host) as one: each pipeline goes to the host with the most
 * free room among those that have every tag it asks for (an untagged pipeline goes anywhere), and
 * waits for room when they are all busy. A pipeline no host here could ever take is refused at
 * once, naming its tags and the hosts.
 */
export function placePipelines(placements: Placement[]): Executor {
  const used = new Map(placements.map((placement) => [placement.name, 0]));
  const waiting = new Set<() => void>();
  const free = (placement: Placement) => placement.capacity - used.get(placement.name)!;
  // As with GitLab runners once tags are used: a tagged pipeline needs a host with all its tags.
  // Where no host has tags, tags choose nothing (a file written for GitLab runs as it is).
  const tagsMatter = placements.some((placement) => placement.tags.length > 0);
  const fits = (placement: Placement, tags: readonly string[]) => !tagsMatter || tags.every((tag) => placement.tags.includes(tag));
  const release = (placement: Placement) => {
    used.set(placement.name, used.get(placement.name)! - 1);
    for (const wake of waiting) wake();
  };

  async function place(pipeline: PipelineIdentity, signal: AbortSignal): Promise<Placement> {
    const tags = pipeline.tags ?? [];
    const candidates = placements.filter((placement) => fits(placement, tags));
    if (candidates.length === 0) {
      const offered = placements.map((placement) => `${placement.name} [${placement.tags.join(', ')}]`).join(', ');
      throw new Error(`no Docker host of this worker has the runner tags ${tags.join(', ')} its jobs ask for (SLIPWAY_DOCKER_HOSTS: ${offered})`);
    }
    for (;;) {
      signal.throwIfAborted();
      const roomiest = candidates.filter((placement) => free(placement) > 0).sort((a, b) => free(b) / b.capacity - free(a) / a.capacity)[0];
      if (roomiest) {
        used.set(roomiest.name, used.get(roomiest.name)! + 1);
        return roomiest;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiting.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        waiting.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  return {
    describe: placements.map((placement) => `${placement.name} ×${placement.capacity}${placement.tags.length ? ` [${placement.tags.join(', ')}]` : ''}`).join(', '),

    /** Every host must answer: a worker that silently lost one would queue for capacity it does not have. */
    async check() {
      const failures = await Promise.all(
        placements.map((placement) =>
          (placement.executor.check?.() ?? Promise.resolve()).then(
            () => undefined,
            // Which host failed, for the start-up line.
            (error: unknown) => Object.assign(error instanceof Error ? error : new Error(String(error)), { dockerHost: placement.executor.describe ?? placement.name }),
          ),
        ),
      );
      const failed = failures.find((failure) => failure !== undefined);
      if (failed) throw failed;
    },

    async recoverOrphans(deadOwners?: DeadOwners) {
      const removed: string[] = [];
      for (const placement of placements) removed.push(...((await placement.executor.recoverOrphans?.(deadOwners)) ?? []));
      return removed;
    },

    async open(pipeline, signal): Promise<ExecutionEnvironment> {
      const placement = await place(pipeline, signal);
      let environment: ExecutionEnvironment;
      try {
        environment = await placement.executor.open(pipeline, signal);
      } catch (error) {
        release(placement);
        throw error;
      }
      let closed = false;
      return {
        ...environment,
        async close() {
          if (closed) return;
          closed = true;
          try {
            await environment.close();
          } finally {
            release(placement);
          }
        },
      };
    },

    async stop() {
      for (const placement of placements) await placement.executor.stop?.();
    },
  };
}
