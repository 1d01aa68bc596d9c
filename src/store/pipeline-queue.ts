import type { AcceptOutcome } from '../model/dispatch.js';
import type { ForgeEvent, ForgeTarget } from '../model/forge-event.js';
import type { RecordedFacts } from '../model/pipeline-facts.js';
import { COPIED_FACT_COLUMNS, FACT_COLUMNS, factsOfRow, newerPipelineOf, type PipelineRow } from './pipeline-row.js';
import type { Pool } from './pool.js';

export interface ClaimedPipeline {
  id: number;
  facts: RecordedFacts;
  /** Where to fetch the source and report back. */
  target: ForgeTarget;
  attempts: number;
  /** A retry of one job: the pipeline whose other results it keeps, and the job. */
  retry: { of: number; job: string } | null;
  /** A paused pipeline taken up again after a play: its finished jobs stand, its played ones run. */
  resume: boolean;
  /** An approved deployment's run of the file's deploy jobs, after the results of the pipeline that tested the commit. */
  deploy: { deploymentId: number; testedPipelineId: number } | null;
}

/** Pipelines a worker gives up on after this many claims (each claim after a crash counts). */
export const MAX_ATTEMPTS = 3;

/** The columns a claim returns. */
type ClaimRow = Pick<PipelineRow, (typeof FACT_COLUMNS)[number] | 'attempts' | 'retry_of' | 'retry_job' | 'deployment_id'> & { resume: boolean };

function toClaimed(row: ClaimRow): ClaimedPipeline {
  return {
    id: row.id,
    facts: factsOfRow(row),
    target: { forge: row.forge, project: row.project, apiContext: row.forge_context },
    attempts: row.attempts,
    retry: row.retry_of !== null && row.retry_job !== null ? { of: Number(row.retry_of), job: row.retry_job } : null,
    resume: row.resume,
    deploy: row.deployment_id !== null && row.retry_of !== null ? { deploymentId: Number(row.deployment_id), testedPipelineId: Number(row.retry_of) } : null,
  };
}

/** The pipelines waiting and running: accepted from events, claimed under leases, retried and canceled. */
export interface PipelineQueue {
  accept(event: ForgeEvent): Promise<AcceptOutcome>;
  claim(workerId: string, leaseMs: number, maxPerProject?: number): Promise<ClaimedPipeline | null>;
  renewLease(pipelineId: number, workerId: string, leaseMs: number): Promise<{ cancelRequested: boolean; reason: string | null } | null>;
  sweep(): Promise<number[]>;
  retry(pipelineId: number, job?: string): Promise<{ id: number } | { refused: 'missing' | 'unfinished' | 'job' | 'deploy' | 'local' } | { refused: 'superseded'; newer: number }>;
  requestCancel(pipelineId: number, reason: string): Promise<boolean>;
  recordCommand(forge: string, deliveryId: string, event: string): Promise<boolean>;
  noteCommand(pipelineId: number, note: string): Promise<void>;
  markCanceled(pipelineId: number, owner: string): Promise<boolean>;
}

/** Pipelines in: accepted from a forge's event, and claimed by a worker. */
function intake(pool: Pool): Pick<PipelineQueue, 'accept' | 'claim'> {
  return {
    /**
     * Records a webhook delivery and what it asks for, in one transaction and one round trip
     * (see the slipway_accept_event migration): a redelivery does nothing; a new commit
     * supersedes the change request's (or branch's) older pipelines; a second event for a
     * commit already queued or running joins that pipeline.
     */
    async accept(event: ForgeEvent): Promise<AcceptOutcome> {
      const { rows } = await pool.query<{ result: AcceptOutcome }>(
        'SELECT slipway_accept_event($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) AS result',
        [
          event.target.forge,
          event.deliveryId,
          event.event,
          event.action,
          event.target.project,
          event.sha,
          event.ref,
          event.defaultBranch,
          event.changeRequest,
          event.fromFork,
          JSON.stringify(event.target.apiContext),
          event.diffBase,
        ],
      );
      return rows[0]!.result;
    },

    /** Takes the oldest queued pipeline, or a running one whose worker stopped renewing its lease. */
    /**
     * Takes the next pipeline fairly: from the project with the fewest pipelines running now
     * (GitLab's fair usage queue for shared runners does the same), the oldest of its queued
     * ones first, never past `maxPerProject` running at once (0: no cap). A running pipeline
     * whose lease ran out is taken over the same way. Claims take turns under a transaction-scoped
     * advisory lock, so two workers never both see a project under its cap and both start one.
     */
    async claim(workerId: string, leaseMs: number, maxPerProject = 0): Promise<ClaimedPipeline | null> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('slipway:pipeline-claim'))`);
        const { rows } = await client.query<ClaimRow>(
          `WITH running AS (
             SELECT forge, project, count(*) AS n FROM pipelines
              WHERE status = 'running' AND lease_expires_at >= now()
              GROUP BY forge, project
           )
           UPDATE pipelines p
              SET status = 'running', lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2::float8 / 1000),
                  attempts = attempts + 1, started_at = coalesce(started_at, now())
            WHERE p.id = (
              SELECT c.id FROM pipelines c
                LEFT JOIN running r ON r.forge = c.forge AND r.project = c.project
               WHERE NOT c.cancel_requested AND c.attempts < $3
                 AND (c.status = 'queued' OR (c.status = 'running' AND c.lease_expires_at < now()))
                 AND ($4 = 0 OR coalesce(r.n, 0) < $4)
               ORDER BY coalesce(r.n, 0), c.created_at, c.id
               FOR UPDATE OF c SKIP LOCKED
               LIMIT 1)
            RETURNING ${FACT_COLUMNS.map((column) => `p.${column}`).join(', ')}, p.attempts, p.retry_of, p.retry_job, p.deployment_id,
                      EXISTS (SELECT 1 FROM jobs j WHERE j.pipeline_id = p.id AND j.played_at IS NOT NULL) AS resume`,
          [workerId, leaseMs, MAX_ATTEMPTS, maxPerProject],
        );
        await client.query('COMMIT');
        return rows[0] ? toClaimed(rows[0]) : null;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

/** A claim's life: renewed while it runs, swept when it lapses, ended when it stops early. */
function leases(pool: Pool): Pick<PipelineQueue, 'renewLease' | 'sweep' | 'markCanceled'> {
  return {

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
  };
}

/** What a person asks of a pipeline: a retry, a cancel, a comment command answered once. */
function askedByPeople(pool: Pool): Pick<PipelineQueue, 'retry' | 'requestCancel' | 'recordCommand' | 'noteCommand'> {
  return {

    /**
     * Runs a finished pipeline again: a new pipeline of the same commit, ref and change request,
     * queued; with `job`, one that runs that job (and what waits for it) and keeps the other
     * results. Why not, when it may not be retried.
     */
    async retry(pipelineId: number, job?: string): Promise<{ id: number } | { refused: 'missing' | 'unfinished' | 'job' | 'deploy' | 'local' } | { refused: 'superseded'; newer: number }> {
      const { rows } = await pool.query<{ id: string | null; status: string; newer: string | null; job_status: string | null; deployment_id: number | null; forge: string }>(
        `WITH old AS (SELECT * FROM pipelines WHERE id = $1),
              job AS (SELECT j.status FROM jobs j, old WHERE j.pipeline_id = old.id AND j.name = $2),
              -- The branch's or change request's newer pipeline: the comment and the status follow it.
              newer AS (SELECT (${newerPipelineOf('old')}) AS id FROM old),
              retried AS (
                INSERT INTO pipelines (${COPIED_FACT_COLUMNS}, event, retry_of, retry_job)
                SELECT ${COPIED_FACT_COLUMNS}, 'retry', id, $2
                  FROM old
                 WHERE status NOT IN ('queued', 'running') AND (SELECT id FROM newer) IS NULL AND deployment_id IS NULL AND forge <> 'local'
                   AND ($2::text IS NULL OR (SELECT status FROM job) IN ('failed', 'canceled'))
                RETURNING id)
         SELECT (SELECT id FROM retried) AS id, old.status, (SELECT id FROM newer) AS newer, (SELECT status FROM job) AS job_status, old.deployment_id, old.forge FROM old`,
        [pipelineId, job ?? null],
      );
      const row = rows[0];
      if (!row) return { refused: 'missing' };
      if (row.id !== null) return { id: Number(row.id) };
      if (row.status === 'queued' || row.status === 'running') return { refused: 'unfinished' };
      if (row.deployment_id !== null) return { refused: 'deploy' };
      if (row.forge === 'local') return { refused: 'local' };
      if (row.newer !== null) return { refused: 'superseded', newer: Number(row.newer) };
      return { refused: 'job' };
    },

    /**
     * Asks for a pipeline to stop: a queued or paused one is canceled here (with the jobs that
     * waited), a running one by its worker (told through NOTIFY and its lease). False when it
     * had already finished.
     */
    async requestCancel(pipelineId: number, reason: string): Promise<boolean> {
      const { rowCount } = await pool.query(
        `WITH stopped AS (
           UPDATE pipelines SET cancel_requested = true, cancel_reason = $2,
                  status = CASE WHEN status = 'running' THEN status ELSE 'canceled' END,
                  finished_at = CASE WHEN status = 'running' THEN finished_at ELSE now() END
            WHERE id = $1 AND status IN ('queued', 'running', 'blocked', 'scheduled') AND NOT cancel_requested
           RETURNING id, status),
         waited AS (
           UPDATE jobs SET status = 'canceled', error = 'pipeline canceled'
            WHERE pipeline_id IN (SELECT id FROM stopped WHERE status = 'canceled') AND status IN ('pending', 'manual', 'scheduled', 'created'))
         SELECT id FROM stopped`,
        [pipelineId, reason],
      );
      return rowCount === 1;
    },

    /**
     * Records a command delivery (a redelivery does nothing: false) and, when it acted on a
     * pipeline, the answer its comment shows.
     */
    async recordCommand(forge: string, deliveryId: string, event: string): Promise<boolean> {
      const { rowCount } = await pool.query('INSERT INTO deliveries (forge, delivery_id, event) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [forge, deliveryId, event]);
      return rowCount === 1;
    },

    async noteCommand(pipelineId: number, note: string): Promise<void> {
      await pool.query('UPDATE pipelines SET command_note = $2 WHERE id = $1', [pipelineId, note]);
    },
  };
}

export function createPipelineQueue(pool: Pool): PipelineQueue {
  return { ...intake(pool), ...leases(pool), ...askedByPeople(pool) };
}
