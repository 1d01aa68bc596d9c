import type { ResourceGroups } from '../pipeline/resource-groups.js';
import type { Pool } from './pool.js';

/** How often a job waiting for its resource group asks again. */
const RETRY_MS = 500;

/**
 * Resource groups as PostgreSQL session advisory locks: every worker on every machine sees the
 * same lock, and a worker that dies lets go with its connection. A waiting job holds no
 * connection; it asks again every half second, so cancelling it is immediate.
 */
export function createResourceGroupLocks(pool: Pool): ResourceGroups {
  return {
    async acquire(project, group, signal) {
      for (;;) {
        signal.throwIfAborted();
        const client = await pool.connect();
        let held = false;
        try {
          const { rows } = await client.query<{ held: boolean }>("SELECT pg_try_advisory_lock(hashtext('slipway resource group'), hashtext($1)) AS held", [JSON.stringify([project, group])]);
          held = rows[0]!.held;
        } finally {
          if (!held) client.release();
        }
        if (held) {
          return async () => {
            try {
              await client.query("SELECT pg_advisory_unlock(hashtext('slipway resource group'), hashtext($1))", [JSON.stringify([project, group])]);
              client.release();
            } catch (error) {
              // A connection that cannot unlock is closed, which unlocks.
              client.release(error instanceof Error ? error : true);
            }
          };
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RETRY_MS);
          signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
        });
      }
    },
  };
}
