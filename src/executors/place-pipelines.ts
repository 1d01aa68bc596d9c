import type { DeadOwners, ExecutionEnvironment, Executor, PipelineIdentity, PipelineTrust } from '../pipeline/executor.js';

/** One place pipelines can run, with how many at once and the runner tags it offers. */
export interface Placement {
  name: string;
  capacity: number;
  /** Runner tags it offers (GitLab's `tags:` choose among hosts once any host has some). */
  tags: string[];
  executor: Executor;
}

/** The host tag that marks Docker hosts for outside code. */
export const UNTRUSTED_TAG = 'untrusted';

/** Which pipelines count as outside code (SLIPWAY_UNTRUSTED_PIPELINES): `none` keeps every host for everyone. */
export type UntrustedPipelines = 'none' | 'forks' | 'unprotected';

function isOutsideCode(trust: PipelineTrust | undefined, untrusted: UntrustedPipelines): boolean {
  if (untrusted === 'none') return false;
  // A pipeline whose trust nobody said is treated as outside code: it never lands beside secrets.
  if (trust === undefined || trust === 'fork') return true;
  return untrusted === 'unprotected' && trust === 'unprotected';
}

/**
 * Several executors (one per Docker host) as one: each pipeline goes to the host with the most
 * free room among those that have every tag it asks for (an untagged pipeline goes anywhere), and
 * waits for room when they are all busy. With `untrusted` set, outside code (forks, or every
 * unprotected pipeline) runs only on hosts tagged `untrusted`, and nothing else runs there, so
 * protected pipelines and their secrets never share a Docker host with it. A pipeline no host
 * here could ever take is refused at once, naming its tags and the hosts.
 */
export function placePipelines(placements: Placement[], untrusted: UntrustedPipelines = 'none'): Executor {
  const used = new Map(placements.map((placement) => [placement.name, 0]));
  const waiting = new Set<() => void>();
  const free = (placement: Placement) => placement.capacity - used.get(placement.name)!;
  // As with GitLab runners once tags are used: a tagged pipeline needs a host with all its tags.
  // Where no host has tags, tags choose nothing (a file written for GitLab runs as it is).
  const tagsMatter = placements.some((placement) => placement.tags.length > 0);
  const fitsTrust = (placement: Placement, trust: PipelineTrust | undefined) => untrusted === 'none' || placement.tags.includes(UNTRUSTED_TAG) === isOutsideCode(trust, untrusted);
  const fits = (placement: Placement, tags: readonly string[], trust: PipelineTrust | undefined) =>
    fitsTrust(placement, trust) && (!tagsMatter || tags.every((tag) => tag === UNTRUSTED_TAG || placement.tags.includes(tag)));
  const release = (placement: Placement) => {
    used.set(placement.name, used.get(placement.name)! - 1);
    for (const wake of waiting) wake();
  };

  async function place(pipeline: PipelineIdentity, signal: AbortSignal): Promise<Placement> {
    const tags = pipeline.tags ?? [];
    const candidates = placements.filter((placement) => fits(placement, tags, pipeline.trust));
    if (candidates.length === 0) {
      const offered = placements.map((placement) => `${placement.name} [${placement.tags.join(', ')}]`).join(', ');
      const outside = isOutsideCode(pipeline.trust, untrusted);
      const where = untrusted === 'none' ? '' : outside ? ` tagged ${UNTRUSTED_TAG} (it runs outside code: SLIPWAY_UNTRUSTED_PIPELINES=${untrusted})` : ` without the ${UNTRUSTED_TAG} tag (those are kept for outside code)`;
      throw new Error(`no Docker host of this worker${where} has the runner tags ${tags.join(', ') || '(none)'} its jobs ask for (SLIPWAY_DOCKER_HOSTS: ${offered})`);
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
