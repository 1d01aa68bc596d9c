import type { Pool } from './pool.js';

/** Which processes that run pipelines are alive: each beats, and an owner that stopped is dead. */
export function createWorkerRegistry(pool: Pool) {
  return {
    async beat(workerId: string): Promise<void> {
      await pool.query(
        `INSERT INTO workers (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
        [workerId],
      );
    },

    /** A worker that stops cleanly leaves no row behind; it removed its own daemons. */
    async leave(workerId: string): Promise<void> {
      await pool.query('DELETE FROM workers WHERE id = $1', [workerId]);
    },

    /**
     * Of `owners`, those that beat once but not within `staleMs`: dead, wherever they ran.
     * An owner with no row at all is not judged here (a `slipway run`, which never beats).
     */
    async dead(owners: string[], staleMs: number): Promise<Set<string>> {
      if (owners.length === 0) return new Set();
      const { rows } = await pool.query<{ id: string }>(
        `SELECT id FROM workers WHERE id = ANY($1::text[]) AND heartbeat_at < now() - make_interval(secs => $2::float8 / 1000)`,
        [owners, staleMs],
      );
      return new Set(rows.map((row) => row.id));
    },

    /** Rows of workers dead for a week: whatever they left was removed long ago. */
    async forgetLongDead(): Promise<void> {
      await pool.query(`DELETE FROM workers WHERE heartbeat_at < now() - interval '7 days'`);
    },
  };
}

export type WorkerRegistry = ReturnType<typeof createWorkerRegistry>;
