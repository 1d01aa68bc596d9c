import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from './pool.js';

export interface JobTokenGrant {
  pipelineId: number;
  /** The registry repository the token may reach, such as `group/project`. */
  repository: string;
  actions: string[];
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Per-pipeline registry credentials (`CI_JOB_TOKEN`). Only a hash is stored, and a token is
 * honoured only while its pipeline is running: finishing, failing or canceling the pipeline
 * ends it, in whichever process that happens.
 */
export function createJobTokenStore(pool: Pool) {
  return {
    async issue(grant: JobTokenGrant): Promise<string> {
      const token = `slipway-${randomBytes(24).toString('base64url')}`;
      await pool.query('INSERT INTO job_tokens (token_sha256, pipeline_id, repository, actions) VALUES ($1, $2, $3, $4)', [
        digest(token),
        grant.pipelineId,
        grant.repository,
        grant.actions,
      ]);
      return token;
    },

    /** The grant of a token whose pipeline is running now; null for an unknown or finished one. */
    async lookup(token: string): Promise<JobTokenGrant | null> {
      const { rows } = await pool.query<{ pipeline_id: number; repository: string; actions: string[] }>(
        `SELECT t.pipeline_id, t.repository, t.actions FROM job_tokens t JOIN pipelines p ON p.id = t.pipeline_id
          WHERE t.token_sha256 = $1 AND p.status = 'running'`,
        [digest(token)],
      );
      const row = rows[0];
      return row ? { pipelineId: Number(row.pipeline_id), repository: row.repository, actions: row.actions } : null;
    },
  };
}

export type JobTokenStore = ReturnType<typeof createJobTokenStore>;
