import type { Pool } from './pool.js';

/** Slack refuses requests older than this itself; a replay inside it is ours to catch. */
const REPLAY_WINDOW_SECONDS = 5 * 60;

/** Signatures of Slack requests already acted on, kept for the replay window. */
export function createSlackRequestStore(pool: Pool) {
  let lastSweep = 0;
  return {
    /** True the first time a signature is seen; false for a replay. */
    async firstSighting(signature: string): Promise<boolean> {
      if (Date.now() - lastSweep > 60_000) {
        lastSweep = Date.now();
        // A minute past the window, so a clock a little ahead never lets a replay back in.
        await pool.query(`DELETE FROM slack_requests WHERE seen_at < now() - make_interval(secs => $1)`, [REPLAY_WINDOW_SECONDS * 2]);
      }
      const { rowCount } = await pool.query('INSERT INTO slack_requests (signature) VALUES ($1) ON CONFLICT DO NOTHING', [signature]);
      return rowCount === 1;
    },
  };
}

export type SlackRequestStore = ReturnType<typeof createSlackRequestStore>;
