import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from './pool.js';

export interface JobTokenGrant {
  pipelineId: number;
  /** The registry repository the token may reach, such as `group/project`. */
  repository: string;
  actions: string[];
}

export interface JobTokenIssue extends JobTokenGrant {
  /** The worker whose claim the token belongs to: it ends with that claim's lease. */
  leaseOwner: string;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Per-pipeline registry credentials (`CI_JOB_TOKEN`). Only a hash is stored, and a token is
 * honoured only while the claim it was issued to holds: finishing, failing, canceling the
 * pipeline or losing its lease ends it, in whichever process that happens.
 */
export function createJobTokenStore(pool: Pool) {
  return {
    async issue(grant: JobTokenIssue): Promise<string> {
      const token = `slipway-${randomBytes(24).toString('base64url')}`;
      await pool.query('INSERT INTO job_tokens (token_sha256, pipeline_id, repository, actions, lease_owner) VALUES ($1, $2, $3, $4, $5)', [
        digest(token),
        grant.pipelineId,
        grant.repository,
        grant.actions,
        grant.leaseOwner,
      ]);
      return token;
    },

    /**
     * Ends the tokens one claim of a pipeline was given (it finished, was canceled, or its worker
     * gave it up); a worker that took the pipeline over keeps its own.
     */
    async revoke(pipelineId: number, leaseOwner: string): Promise<void> {
      await pool.query('DELETE FROM job_tokens WHERE pipeline_id = $1 AND lease_owner = $2', [pipelineId, leaseOwner]);
    },

    /**
     * The grant of a token whose pipeline is running now under the claim it was issued to, with
     * a live lease and no cancellation asked; null otherwise.
     */
    async lookup(token: string): Promise<JobTokenGrant | null> {
      const { rows } = await pool.query<{ pipeline_id: number; repository: string; actions: string[] }>(
        `SELECT t.pipeline_id, t.repository, t.actions FROM job_tokens t JOIN pipelines p ON p.id = t.pipeline_id
          WHERE t.token_sha256 = $1 AND p.status = 'running' AND NOT p.cancel_requested
            AND p.lease_owner = t.lease_owner AND p.lease_expires_at > now()`,
        [digest(token)],
      );
      const row = rows[0];
      return row ? { pipelineId: Number(row.pipeline_id), repository: row.repository, actions: row.actions } : null;
    },
  };
}

export type JobTokenStore = ReturnType<typeof createJobTokenStore>;
