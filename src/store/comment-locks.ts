import type { Pool } from './pool.js';

/**
 * A lock per change request's comment, across every process on this database: finding "the
 * one comment" and creating it must not interleave between two workers, or both create one.
 */
export function createCommentLocks(pool: Pool) {
  return async function withCommentLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query(`SELECT pg_advisory_lock(hashtext('slipway:comment:' || $1))`, [key]);
      try {
        return await work();
      } finally {
        await client.query(`SELECT pg_advisory_unlock(hashtext('slipway:comment:' || $1))`, [key]);
      }
    } finally {
      client.release();
    }
  };
}

export type CommentLock = ReturnType<typeof createCommentLocks>;
