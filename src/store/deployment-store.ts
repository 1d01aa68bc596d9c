import type { AuditEvent, Deployment, DeploymentBriefing, DeploymentStatus, EnvironmentLock } from '../model/deployment.js';
import type { Pool } from './pool.js';

const LOCK_COLUMNS = `locked_by AS "lockedBy", reason, locked_at AS "lockedAt", expires_at AS "expiresAt"`;
const COLUMNS = `id, project, environment, kind, sha, pipeline_id AS "pipelineId", image_ref AS "imageRef", digest,
  previous_digest AS "previousDigest", previous_recorded AS "previousRecorded", promoted_at AS "promotedAt", attempts, status, requested_by AS "requestedBy", decided_by AS "decidedBy", error,
  chat_channel AS "chatChannel", chat_message_ts AS "chatMessageTs", requested_at AS "requestedAt",
  expires_at AS "expiresAt", finished_at AS "finishedAt", briefing, job_pipeline_id AS "jobPipelineId"`;

/** Deployments, environment locks and the audit trail; every change is one statement. */
const one = async (pool: Pool, text: string, values: unknown[]): Promise<Deployment | null> => (await pool.query<Deployment>(text, values)).rows[0] ?? null;

/** Deploy requests: made, shown, decided, withdrawn or expired. */
function requests(pool: Pool) {
  return {
    async create(
      request: Pick<Deployment, 'project' | 'environment' | 'kind' | 'sha' | 'pipelineId' | 'imageRef' | 'digest' | 'requestedBy'> & { expiresInSeconds: number; briefing?: DeploymentBriefing },
    ): Promise<Deployment> {
      return (await one(pool, 
        `INSERT INTO deployments (project, environment, kind, sha, pipeline_id, image_ref, digest, requested_by, expires_at, briefing)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9), $10) RETURNING ${COLUMNS}`,
        [request.project, request.environment, request.kind, request.sha, request.pipelineId, request.imageRef, request.digest, request.requestedBy, request.expiresInSeconds, request.briefing ?? {}],
      ))!;
    },
    get: (id: number) => one(pool, `SELECT ${COLUMNS} FROM deployments WHERE id = $1`, [id]),
    async setMessage(id: number, channel: string, ts: string): Promise<void> {
      await pool.query('UPDATE deployments SET chat_channel = $2, chat_message_ts = $3 WHERE id = $1', [id, channel, ts]);
    },
    /**
     * Approves or rejects a request still waiting and not expired. Null when it was not: a
     * second click, or two approvers at once, change nothing.
     */
    decide: (id: number, decision: 'approved' | 'rejected', by: string) =>
      one(pool, 
        `UPDATE deployments SET status = $2, decided_by = $3, decided_at = now()
          WHERE id = $1 AND status = 'requested' AND expires_at > now() RETURNING ${COLUMNS}`,
        [id, decision, by],
      ),
    /** A request that could not be put before its approvers: ended with the reason. */
    withdraw: (id: number, reason: string) =>
      one(pool, `UPDATE deployments SET status = 'withdrawn', error = $2, finished_at = now() WHERE id = $1 AND status = 'requested' RETURNING ${COLUMNS}`, [id, reason]),
    /** Ends requests nobody decided in time (one, or all of them), with their audit rows in the same statement. */
    async expireDue(id: number | null = null): Promise<Deployment[]> {
      const { rows } = await pool.query<Deployment>(
        `WITH expired AS (
           UPDATE deployments SET status = 'expired', finished_at = now()
            WHERE ($1::bigint IS NULL OR id = $1) AND status = 'requested' AND expires_at <= now() RETURNING *
         ), recorded AS (
           INSERT INTO audit_events (actor, action, project, environment, sha, digest, deployment_id, detail)
           SELECT 'slipway', 'expired', project, environment, sha, digest, id, '{}'::jsonb FROM expired
         )
         SELECT ${COLUMNS} FROM expired ORDER BY id`,
        [id],
      );
      return rows;
    },
  };
}

/** Approved deploys carried out under a lease, each step recorded once. */
function carryingOut(pool: Pool) {
  return {
    /**
     * Takes the next approved deployment, or one whose runner stopped renewing its lease. One
     * environment deploys one at a time, in the order of approval; the claim itself is
     * serialised by a transaction-scoped advisory lock, held for milliseconds, never across a deploy.
     */
    async claim(owner: string, leaseMs: number): Promise<Deployment | null> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('slipway:deploy-claim'))`);
        const { rows } = await client.query<Deployment>(
          `UPDATE deployments d
              SET status = 'deploying', lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2::float8 / 1000), attempts = attempts + 1
            WHERE d.id = (
              SELECT c.id FROM deployments c
               WHERE (c.status = 'approved' OR (c.status = 'deploying' AND c.lease_expires_at < now()))
                 AND NOT EXISTS (SELECT 1 FROM deployments o
                                  WHERE o.project = c.project AND o.environment = c.environment AND o.id <> c.id
                                    AND (o.status = 'deploying' OR (o.status = 'approved' AND (o.decided_at, o.id) < (c.decided_at, c.id))))
               ORDER BY c.decided_at, c.id
               LIMIT 1
               FOR UPDATE SKIP LOCKED)
            RETURNING ${COLUMNS}`,
          [owner, leaseMs],
        );
        await client.query('COMMIT');
        return rows[0] ?? null;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    /** False when the lease was lost (another runner took the deployment over). */
    async renewLease(id: number, owner: string, leaseMs: number): Promise<boolean> {
      const { rowCount } = await pool.query(
        `UPDATE deployments SET lease_expires_at = now() + make_interval(secs => $3::float8 / 1000) WHERE id = $1 AND lease_owner = $2 AND status = 'deploying'`,
        [id, owner, leaseMs],
      );
      return rowCount === 1;
    },
    /** Written before the retag, once: what the environment ran, for restoring it on failure. */
    recordPrevious: (id: number, owner: string, previousDigest: string | null) =>
      one(pool, 
        `UPDATE deployments SET previous_digest = $3, previous_recorded = true WHERE id = $1 AND lease_owner = $2 AND status = 'deploying' RETURNING ${COLUMNS}`,
        [id, owner, previousDigest],
      ),
    /** Written after the retag. */
    markPromoted: (id: number, owner: string) =>
      one(pool, `UPDATE deployments SET promoted_at = coalesce(promoted_at, now()) WHERE id = $1 AND lease_owner = $2 AND status = 'deploying' RETURNING ${COLUMNS}`, [id, owner]),
    /**
     * Ends a deployment this runner holds and writes its audit event in the same statement, so
     * a crash cannot leave a finished deployment without its record. Null when it no longer
     * held it.
     */
    finish: (id: number, owner: string, status: 'succeeded' | 'failed', error: string | null, event: { action: string; detail: Record<string, unknown> }) =>
      one(pool, 
        `WITH finished AS (
           UPDATE deployments SET status = $3, error = $4, finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
            WHERE id = $1 AND lease_owner = $2 AND status = 'deploying' RETURNING *
         ), recorded AS (
           INSERT INTO audit_events (actor, action, project, environment, sha, digest, deployment_id, detail)
           SELECT 'slipway', $5::text, project, environment, sha, digest, id, $6::jsonb FROM finished
         )
         SELECT ${COLUMNS} FROM finished`,
        [id, owner, status, error, event.action, JSON.stringify(event.detail)],
      ),
  };
}

/** What ran where and when, and the audit trail. */
function environmentHistory(pool: Pool) {
  return {
    /** The digest the environment ran before `currentDigest`, as confirmed by a deploy that succeeded. */
    async previousConfirmedDigest(project: string, environment: string, currentDigest: string): Promise<string | null> {
      const { rows } = await pool.query<{ digest: string }>(
        `SELECT digest FROM deployments WHERE project = $1 AND environment = $2 AND status = 'succeeded' AND kind <> 'stop' AND digest <> $3
          ORDER BY finished_at DESC, id DESC LIMIT 1`,
        [project, environment, currentDigest],
      );
      return rows[0]?.digest ?? null;
    },
    /** The environment's last finished deployment: what rollback returns from, or the stop that ended it (see `runningNow`). */
    lastSucceeded: (project: string, environment: string) =>
      one(pool, `SELECT ${COLUMNS} FROM deployments WHERE project = $1 AND environment = $2 AND status = 'succeeded' ORDER BY finished_at DESC, id DESC LIMIT 1`, [project, environment]),
    /** The commit a digest was deployed from, to name it in a rollback. */
    async shaOfDigest(project: string, digest: string): Promise<{ sha: string; pipelineId: number | null } | null> {
      const { rows } = await pool.query<{ sha: string; pipelineId: number | null }>(
        `SELECT sha, pipeline_id AS "pipelineId" FROM deployments WHERE project = $1 AND digest = $2 ORDER BY id DESC LIMIT 1`,
        [project, digest],
      );
      if (rows[0]) return rows[0];
      const fromPipelines = await pool.query<{ sha: string; pipelineId: number }>(
        `SELECT sha, id AS "pipelineId" FROM pipelines WHERE project = $1 AND image_digest = $2 ORDER BY id DESC LIMIT 1`,
        [project, digest],
      );
      return fromPipelines.rows[0] ?? null;
    },
    async audit(event: { actor: string; action: string; project: string; environment: string; sha?: string | null; digest?: string | null; deploymentId?: number | null; detail?: Record<string, unknown> }): Promise<void> {
      await pool.query(
        `INSERT INTO audit_events (actor, action, project, environment, sha, digest, deployment_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [event.actor, event.action, event.project, event.environment, event.sha ?? null, event.digest ?? null, event.deploymentId ?? null, JSON.stringify(event.detail ?? {})],
      );
    },
    async history(project: string, environment: string, limit = 15): Promise<AuditEvent[]> {
      const { rows } = await pool.query<AuditEvent>(
        `SELECT at, actor, action, sha, digest, deployment_id AS "deploymentId", detail FROM audit_events
          WHERE project = $1 AND environment = $2 ORDER BY at DESC, id DESC LIMIT $3`,
        [project, environment, limit],
      );
      return rows;
    },
  };
}

/** Environment locks, which may end by themselves. */
function environmentLocks(pool: Pool) {
  return {
    async lock(project: string, environment: string, by: string, reason: string, forSeconds: number | null = null): Promise<{ locked: boolean; lock: EnvironmentLock }> {
      const current = await this.getLock(project, environment);
      if (current) return { locked: false, lock: current };
      const inserted = await pool.query<EnvironmentLock>(
        `INSERT INTO environment_locks (project, environment, locked_by, reason, expires_at)
         VALUES ($1, $2, $3, $4, CASE WHEN $5::int IS NULL THEN NULL ELSE now() + make_interval(secs => $5::int) END)
         ON CONFLICT DO NOTHING RETURNING ${LOCK_COLUMNS}`,
        [project, environment, by, reason, forSeconds],
      );
      if (inserted.rows[0]) return { locked: true, lock: inserted.rows[0] };
      return { locked: false, lock: (await this.getLock(project, environment))! };
    },
    async unlock(project: string, environment: string): Promise<EnvironmentLock | null> {
      const { rows } = await pool.query<EnvironmentLock>(`DELETE FROM environment_locks WHERE project = $1 AND environment = $2 RETURNING ${LOCK_COLUMNS}`, [project, environment]);
      return rows[0] ?? null;
    },
    /**
     * The environment's lock, if it holds. One past its end is removed here, and the audit
     * trail says it ended, in the same statement.
     */
    async getLock(project: string, environment: string): Promise<EnvironmentLock | null> {
      const { rows } = await pool.query<EnvironmentLock>(
        `WITH ended AS (
           DELETE FROM environment_locks WHERE project = $1 AND environment = $2 AND expires_at <= now() RETURNING *
         ), audited AS (
           INSERT INTO audit_events (actor, action, project, environment, detail)
           SELECT 'slipway', 'lock expired', project, environment, jsonb_build_object('reason', reason, 'lockedBy', locked_by) FROM ended
         )
         SELECT ${LOCK_COLUMNS} FROM environment_locks WHERE project = $1 AND environment = $2 AND (expires_at IS NULL OR expires_at > now())`,
        [project, environment],
      );
      return rows[0] ?? null;
    },
  };
}

export function createDeploymentStore(pool: Pool) {
  return { ...requests(pool), ...carryingOut(pool), ...environmentHistory(pool), ...environmentLocks(pool) };
}

export type DeploymentStore = ReturnType<typeof createDeploymentStore>;
