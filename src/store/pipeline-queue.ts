import type { ForgeEvent, ForgeTarget } from '../forges/forge.js';
import { withTransaction, type Client, type Pool } from './pool.js';

export type AcceptOutcome =
  | { outcome: 'duplicate' }
  | { outcome: 'queued'; pipelineId: number; superseded: number[] }
  | { outcome: 'joined'; pipelineId: number }
  | { outcome: 'canceled'; pipelineIds: number[] };

export interface ClaimedPipeline {
  id: number;
  target: ForgeTarget;
  sha: string;
  ref: string;
  defaultBranch: string | undefined;
  changeRequest: number | null;
  fromFork: boolean;
  attempts: number;
}

/** Pipelines a worker gives up on after this many claims (each claim after a crash counts). */
export const MAX_ATTEMPTS = 3;

interface PipelineRow {
  id: number;
  forge: 'github' | 'gitlab';
  project: string;
  forge_context: Record<string, string | number>;
  sha: string;
  ref: string;
  default_branch: string | null;
  change_request: number | null;
  from_fork: boolean;
  attempts: number;
}

function toClaimed(row: PipelineRow): ClaimedPipeline {
  return {
    id: row.id,
    target: { forge: row.forge, project: row.project, apiContext: row.forge_context },
    sha: row.sha,
    ref: row.ref,
    defaultBranch: row.default_branch ?? undefined,
    changeRequest: row.change_request,
    fromFork: row.from_fork,
    attempts: row.attempts,
  };
}

/** Stops the still-active pipelines matched by `where`: queued ones at once, running ones at their next lease renewal. */
async function cancelActive(client: Client, where: string, params: unknown[], reason: string, supersededBy: number | null): Promise<number[]> {
  const { rows } = await client.query<{ id: number }>(
    `UPDATE pipelines
        SET cancel_requested = true,
            cancel_reason = $${params.length + 1},
            superseded_by = $${params.length + 2},
            status = CASE WHEN status = 'queued' THEN 'canceled' ELSE status END,
            finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
      WHERE status IN ('queued', 'running') AND ${where}
      RETURNING id`,
    [...params, reason, supersededBy],
  );
  return rows.map((row) => row.id);
}

export function createPipelineQueue(pool: Pool) {
  return {
    /**
     * Records a webhook delivery and what it asks for, in one transaction: a redelivery does
     * nothing; a new commit supersedes the change request's (or branch's) older pipelines; a
     * second event for a commit already queued or running joins that pipeline.
     */
    async accept(event: ForgeEvent): Promise<AcceptOutcome> {
      return withTransaction(pool, async (client) => {
        const delivery = await client.query(
          'INSERT INTO deliveries (forge, delivery_id, event) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING delivery_id',
          [event.target.forge, event.deliveryId, event.event],
        );
        if (delivery.rowCount === 0) return { outcome: 'duplicate' };
        const { forge, project } = event.target;
        const scope = event.changeRequest === undefined ? `ref:${event.ref}` : `cr:${event.changeRequest}`;
        // Events for one change request or branch take turns, so two new commits cannot both survive.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${forge}/${project}/${scope}`]);
        const link = (pipelineId: number) =>
          client.query('UPDATE deliveries SET pipeline_id = $3 WHERE forge = $1 AND delivery_id = $2', [forge, event.deliveryId, pipelineId]);

        if (event.action === 'cancel') {
          const pipelineIds = await cancelActive(client, 'forge = $1 AND project = $2 AND change_request = $3', [forge, project, event.changeRequest], 'the change request was closed', null);
          return { outcome: 'canceled', pipelineIds };
        }

        const existing = await client.query<{ id: number }>(
          `SELECT id FROM pipelines WHERE forge = $1 AND project = $2 AND sha = $3 AND status IN ('queued', 'running') AND NOT cancel_requested
           ORDER BY id DESC LIMIT 1`,
          [forge, project, event.sha],
        );
        if (existing.rows[0]) {
          const pipelineId = existing.rows[0].id;
          if (event.changeRequest !== undefined) {
            await client.query('UPDATE pipelines SET change_request = coalesce(change_request, $2) WHERE id = $1', [pipelineId, event.changeRequest]);
          }
          await link(pipelineId);
          return { outcome: 'joined', pipelineId };
        }

        const inserted = await client.query<{ id: number }>(
          `INSERT INTO pipelines (forge, project, sha, ref, default_branch, change_request, from_fork, forge_context, event)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
          [forge, project, event.sha, event.ref, event.defaultBranch, event.changeRequest ?? null, event.fromFork, JSON.stringify(event.target.apiContext), event.event],
        );
        const pipelineId = inserted.rows[0]!.id;
        const superseded =
          event.changeRequest === undefined
            ? await cancelActive(client, 'forge = $1 AND project = $2 AND ref = $3 AND change_request IS NULL AND id <> $4', [forge, project, event.ref, pipelineId], `superseded by pipeline #${pipelineId}`, pipelineId)
            : await cancelActive(client, 'forge = $1 AND project = $2 AND change_request = $3 AND id <> $4', [forge, project, event.changeRequest, pipelineId], `superseded by pipeline #${pipelineId}`, pipelineId);
        await link(pipelineId);
        return { outcome: 'queued', pipelineId, superseded };
      });
    },

    /** Takes the oldest queued pipeline, or a running one whose worker stopped renewing its lease. */
    async claim(workerId: string, leaseMs: number): Promise<ClaimedPipeline | null> {
      const { rows } = await pool.query<PipelineRow>(
        `UPDATE pipelines p
            SET status = 'running', lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2::float8 / 1000),
                attempts = attempts + 1, started_at = coalesce(started_at, now())
          WHERE p.id = (
            SELECT id FROM pipelines
             WHERE forge <> 'local' AND NOT cancel_requested AND attempts < $3
               AND (status = 'queued' OR (status = 'running' AND lease_expires_at < now()))
             ORDER BY created_at
             FOR UPDATE SKIP LOCKED
             LIMIT 1)
          RETURNING p.id, p.forge, p.project, p.forge_context, p.sha, p.ref, p.default_branch, p.change_request, p.from_fork, p.attempts`,
        [workerId, leaseMs, MAX_ATTEMPTS],
      );
      return rows[0] ? toClaimed(rows[0]) : null;
    },

    /** Extends the lease; null means another worker has taken the pipeline (or it was finished). */
    async renewLease(pipelineId: number, workerId: string, leaseMs: number): Promise<{ cancelRequested: boolean; reason: string | null } | null> {
      const { rows } = await pool.query<{ cancel_requested: boolean; cancel_reason: string | null }>(
        `UPDATE pipelines SET lease_expires_at = now() + make_interval(secs => $3::float8 / 1000)
          WHERE id = $1 AND lease_owner = $2 AND status = 'running'
          RETURNING cancel_requested, cancel_reason`,
        [pipelineId, workerId, leaseMs],
      );
      return rows[0] ? { cancelRequested: rows[0].cancel_requested, reason: rows[0].cancel_reason } : null;
    },

    /**
     * Ends pipelines no worker will finish: canceled ones whose worker died, and ones that
     * crashed MAX_ATTEMPTS times (marked as errors instead of retried forever).
     */
    async sweep(): Promise<number[]> {
      const { rows } = await pool.query<{ id: number }>(
        `UPDATE pipelines
            SET status = CASE WHEN cancel_requested THEN 'canceled' ELSE 'error' END,
                error = CASE WHEN cancel_requested THEN error ELSE 'the pipeline was started ' || attempts || ' times and never finished' END,
                finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
          WHERE status = 'running' AND lease_expires_at < now() AND (cancel_requested OR attempts >= $1)
          RETURNING id`,
        [MAX_ATTEMPTS],
      );
      return rows.map((row) => row.id);
    },

    /** A claimed pipeline stopped before it produced a result (canceled while fetching its source, say). */
    async markCanceled(pipelineId: number, owner: string): Promise<boolean> {
      const { rowCount } = await pool.query(
        `UPDATE pipelines SET status = 'canceled', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
          WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
        [pipelineId, owner],
      );
      return rowCount === 1;
    },

    /** Pipeline ids that are still allowed to have a dind daemon. */
    async activePipelineIds(): Promise<Set<string>> {
      const { rows } = await pool.query<{ id: number }>(`SELECT id FROM pipelines WHERE status = 'running' AND lease_expires_at >= now()`);
      return new Set(rows.map((row) => String(row.id)));
    },
  };
}

export type PipelineQueue = ReturnType<typeof createPipelineQueue>;
