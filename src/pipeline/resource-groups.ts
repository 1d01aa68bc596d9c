/** GitLab's `resource_group`: at most one job holds a group of a project at a time, across pipelines. */
export interface ResourceGroups {
  /** Waits until the group is free (or `signal` aborts), then holds it until the returned release is called. */
  acquire(project: string, group: string, signal: AbortSignal): Promise<() => Promise<void>>;
}

/** Groups held within this process only: for `slipway run` without a database. */
export function createLocalResourceGroups(): ResourceGroups {
  const tails = new Map<string, Promise<void>>();
  return {
    async acquire(project, group, signal) {
      const key = `${project}\0${group}`;
      const before = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const tail = before.then(() => held);
      tails.set(key, tail);
      const aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
      try {
        await Promise.race([before, aborted]);
      } catch (error) {
        // Our turn passes straight on to whoever waits behind us.
        release();
        throw error;
      }
      return async () => {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      };
    },
  };
}
