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

/** The hosts' room: which host a pipeline may go to, and waiting for one to have space. */
class HostRoom {
  private readonly used: Map<string, number>;
  private readonly waiting = new Set<() => void>();
  // As with GitLab runners once tags are used: a tagged pipeline needs a host with all its tags.
  // Where no host has tags, tags choose nothing (a file written for GitLab runs as it is).
  private readonly tagsMatter: boolean;

  constructor(
    private readonly placements: Placement[],
    private readonly untrusted: UntrustedPipelines,
  ) {
    this.used = new Map(placements.map((placement) => [placement.name, 0]));
    this.tagsMatter = placements.some((placement) => placement.tags.length > 0);
  }

  private free(placement: Placement): number {
    return placement.capacity - this.used.get(placement.name)!;
  }

  private fits(placement: Placement, tags: readonly string[], trust: PipelineTrust | undefined): boolean {
    const fitsTrust = this.untrusted === 'none' || placement.tags.includes(UNTRUSTED_TAG) === isOutsideCode(trust, this.untrusted);
    return fitsTrust && (!this.tagsMatter || tags.every((tag) => tag === UNTRUSTED_TAG || placement.tags.includes(tag)));
  }

  release(placement: Placement): void {
    this.used.set(placement.name, this.used.get(placement.name)! - 1);
    for (const wake of this.waiting) wake();
  }

  private refusal(pipeline: PipelineIdentity): Error {
    const { untrusted } = this;
    const offered = this.placements.map((placement) => `${placement.name} [${placement.tags.join(', ')}]`).join(', ');
    const outside = isOutsideCode(pipeline.trust, untrusted);
    const where = untrusted === 'none' ? '' : outside ? ` tagged ${UNTRUSTED_TAG} (it runs outside code: SLIPWAY_UNTRUSTED_PIPELINES=${untrusted})` : ` without the ${UNTRUSTED_TAG} tag (those are kept for outside code)`;
    return new Error(`no Docker host of this worker${where} has the runner tags ${(pipeline.tags ?? []).join(', ') || '(none)'} its jobs ask for (SLIPWAY_DOCKER_HOSTS: ${offered})`);
  }

  /** The roomiest host that may take the pipeline, once one has room; refused at once when none ever could. */
  async place(pipeline: PipelineIdentity, signal: AbortSignal): Promise<Placement> {
    const candidates = this.placements.filter((placement) => this.fits(placement, pipeline.tags ?? [], pipeline.trust));
    if (candidates.length === 0) throw this.refusal(pipeline);
    for (;;) {
      signal.throwIfAborted();
      const roomiest = candidates.filter((placement) => this.free(placement) > 0).sort((a, b) => this.free(b) / b.capacity - this.free(a) / a.capacity)[0];
      if (roomiest) {
        this.used.set(roomiest.name, this.used.get(roomiest.name)! + 1);
        return roomiest;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiting.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.waiting.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }
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
  const room = new HostRoom(placements, untrusted);
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
      const placement = await room.place(pipeline, signal);
      let environment: ExecutionEnvironment;
      try {
        environment = await placement.executor.open(pipeline, signal);
      } catch (error) {
        room.release(placement);
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
            room.release(placement);
          }
        },
      };
    },

    async stop() {
      for (const placement of placements) await placement.executor.stop?.();
    },
  };
}
