import type { ForgeName, ProjectKey } from '../model/forge-event.js';
import type { RecordedFacts } from '../model/pipeline-facts.js';
import type { ServiceLog } from '../pipeline/executor.js';
import type { SavedArtifacts } from '../pipeline/artifact-store.js';
import { waitsForTrigger, type ImageResult, type JobResult, type PipelineResult, type ReusedJob } from '../pipeline/run/engine.js';
import type { JobSpec, PipelinePlan } from '../pipeline/plan.js';
import { withTransaction, type Client, type Pool } from './pool.js';
import { createReviewAppStore } from './review-app-store.js';
import { WAITING_JOB_STATUSES } from '../model/status.js';

/** A pipeline recorded as it starts (`slipway run`): its own project's commit, no change request, no fork. */
export type NewPipeline = Pick<RecordedFacts, 'forge' | 'project' | 'sha' | 'ref' | 'defaultBranch'>;

export interface RecordedPipeline {
  id: number;
  jobIds: Map<string, number>;
}

/** A paused pipeline taken up again: its jobs as recorded, and what to run now. */
export interface ResumedPipeline extends RecordedPipeline {
  /** Manual and delayed jobs played (by a person, or by their time), whether or not they ran yet. */
  played: Set<string>;
  /** Delayed jobs a person unscheduled: they wait as manual jobs do. */
  unscheduled: Set<string>;
}

/** The lease of a pipeline no worker claims (`slipway run`): long, since nothing else would take it over. */
export const LOCAL_LEASE_MS = 6 * 3600_000;

/** How a job starts, as the jobs table keeps it: by itself, or when a person plays it, or after a delay. */
const triggerOf = (job: JobSpec) => (waitsForTrigger(job) ? job.when! : 'automatic');

async function insertJobs(client: Client | Pool, pipelineId: number, jobs: JobSpec[], firstPosition = 0): Promise<Map<string, number>> {
  const jobIds = new Map<string, number>();
  for (const [offset, job] of jobs.entries()) {
    const position = firstPosition + offset;
    const inserted = await client.query<{ id: number }>(
      `INSERT INTO jobs (pipeline_id, name, kind, stage, position, interruptible, needs, trigger, blocking, start_in_seconds, environment, environment_action, waits_for_deploy,
                         environment_url, environment_on_stop, environment_auto_stop_seconds)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
      [
        pipelineId,
        job.name,
        job.kind,
        job.stage,
        position,
        job.interruptible ?? true,
        job.needs ?? null,
        triggerOf(job),
        triggerOf(job) !== 'automatic' && job.allowFailure !== true,
        job.startInSeconds ?? null,
        job.kind === 'script' ? (job.environment?.name ?? null) : null,
        job.kind === 'script' ? (job.environment?.action ?? null) : null,
        job.kind === 'script' && job.waitsForDeploy === true,
        job.kind === 'script' ? (job.environment?.url ?? null) : null,
        job.kind === 'script' ? (job.environment?.onStop ?? null) : null,
        job.kind === 'script' ? (job.environment?.autoStopInSeconds ?? null) : null,
      ],
    );
    jobIds.set(job.name, inserted.rows[0]!.id);
  }
  return jobIds;
}

/** Typed queries for pipelines, jobs and their logs; nothing here knows about Docker. */
/** A claimed pipeline's record: its jobs, their logs, results and artifacts, and its end. */
export interface PipelineStore {
  create(pipeline: NewPipeline, jobs: JobSpec[], owner: string, leaseMs?: number): Promise<RecordedPipeline>;
  replaceJobs(pipelineId: number, plan: PipelinePlan): Promise<RecordedPipeline>;
  /** A child's jobs, read by its trigger job as the pipeline runs; those recorded already (a run after a play) keep their records. */
  addJobs(pipelineId: number, jobs: JobSpec[]): Promise<Map<string, number>>;
  resumeJobs(pipelineId: number, plan: PipelinePlan): Promise<ResumedPipeline | null>;
  fail(pipelineId: number, error: string, owner: string): Promise<boolean>;
  skip(pipelineId: number, reason: string, owner: string): Promise<boolean>;
  markJobRunning(jobId: number): Promise<void>;
  finishJob(jobId: number, result: JobResult): Promise<void>;
  saveServiceLogs(jobId: number, logs: readonly ServiceLog[]): Promise<void>;
  saveArtifacts(jobId: number, artifacts: SavedArtifacts): Promise<void>;
  reusableJobs(pipelineId: number): Promise<Map<string, ReusedJob>>;
  expiredArtifacts(limit: number): Promise<Array<{ jobId: number; project: ProjectKey; digest: string }>>;
  forgetArtifacts(jobId: number): Promise<void>;
  appendLog(jobId: number, seq: number, content: string): Promise<void>;
  finish(pipelineId: number, result: PipelineResult, owner?: string): Promise<boolean>;
}

/** Ends a pipeline that ran no jobs, under its claim. */
async function end(pool: Pool, pipelineId: number, status: 'failed' | 'skipped', reason: string, owner: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE pipelines SET status = $4, error = $2, finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE id = $1 AND lease_owner = $3 AND status = 'running'`,
    [pipelineId, reason, owner, status],
  );
  return rowCount === 1;
}

/** A pipeline's record from its jobs to its end, each write under the claim that may make it. */
function pipelines(pool: Pool): Pick<PipelineStore, 'create' | 'replaceJobs' | 'fail' | 'skip' | 'finish'> {
  return {
    /**
     * Records a pipeline that no worker claims (`slipway run`, tests): it starts out running,
     * under `owner`'s long lease, so its job token is honoured and no worker takes it.
     */
    async create(pipeline: NewPipeline, jobs: JobSpec[], owner: string, leaseMs = LOCAL_LEASE_MS): Promise<RecordedPipeline> {
      return withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ id: number }>(
          `INSERT INTO pipelines (forge, project, sha, ref, default_branch, status, started_at, lease_owner, lease_expires_at)
           VALUES ($1, $2, $3, $4, $5, 'running', now(), $6, now() + make_interval(secs => $7::float8 / 1000)) RETURNING id`,
          [pipeline.forge, pipeline.project, pipeline.sha, pipeline.ref, pipeline.defaultBranch, owner, leaseMs],
        );
        const id = rows[0]!.id;
        return { id, jobIds: await insertJobs(client, id, jobs) };
      });
    },
    /** The plan's jobs for a claimed pipeline; a previous attempt's jobs (and logs) are replaced. */
    async replaceJobs(pipelineId: number, plan: PipelinePlan): Promise<RecordedPipeline> {
      return withTransaction(pool, async (client) => {
        await client.query('DELETE FROM jobs WHERE pipeline_id = $1', [pipelineId]);
        await client.query('UPDATE pipelines SET plan_source = $2, plan_notes = $3, name = $4 WHERE id = $1', [pipelineId, plan.source, JSON.stringify(plan.notes ?? []), plan.name ?? null]);
        return { id: pipelineId, jobIds: await insertJobs(client, pipelineId, plan.jobs) };
      });
    },
    /** Ends a pipeline that never got to run its jobs (no source, bad pipeline file). */
    async fail(pipelineId: number, error: string, owner: string): Promise<boolean> {
      return end(pool, pipelineId, 'failed', error, owner);
    },
    /** Ends a pipeline its file's `workflow:rules` leave out, with the reason. */
    async skip(pipelineId: number, reason: string, owner: string): Promise<boolean> {
      return end(pool, pipelineId, 'skipped', reason, owner);
    },
    /**
     * Records a pipeline's result. With `owner`, only while that worker still holds the lease:
     * a worker that lost its pipeline to another must not overwrite the other's result.
     */
    async finish(pipelineId: number, result: PipelineResult, owner?: string): Promise<boolean> {
      return withTransaction(pool, async (client) => {
        const held = await client.query(`SELECT 1 FROM pipelines WHERE id = $1 AND ($2::text IS NULL OR lease_owner = $2) FOR UPDATE`, [pipelineId, owner ?? null]);
        if (held.rowCount === 0) return false;
        // Jobs never reached (skipped, canceled, or waiting) get their state too; a job played
        // while this run went on keeps its turn.
        for (const job of result.jobs) {
          await client.query(
            `UPDATE jobs SET status = $3, error = $4 WHERE pipeline_id = $1 AND name = $2
                AND status IN ('pending', 'running', 'manual', 'scheduled', 'created') AND NOT (status = 'pending' AND played_at IS NOT NULL)`,
            [pipelineId, job.name, job.status, job.error ?? null],
          );
        }
        // A canceled pipeline's waiting jobs are canceled with it, as when it is canceled paused.
        if (result.status === 'canceled') {
          await client.query(`UPDATE jobs SET status = 'canceled', error = 'pipeline canceled' WHERE pipeline_id = $1 AND status IN ('pending', 'manual', 'scheduled', 'created')`, [pipelineId]);
        }
        // A paused pipeline has not finished; one with a job played meanwhile is queued to run it.
        await client.query(
          `WITH next AS (
             SELECT CASE WHEN $2 <> 'canceled' AND NOT p.cancel_requested
                          AND EXISTS (SELECT 1 FROM jobs j WHERE j.pipeline_id = $1 AND j.status = 'pending' AND j.played_at IS NOT NULL) THEN 'queued' ELSE $2 END AS status
               FROM pipelines p WHERE p.id = $1)
           UPDATE pipelines SET status = next.status,
                  error = $3, image_ref = coalesce($4, image_ref), image_digest = coalesce($5, image_digest), cached_steps = coalesce($6, cached_steps), total_steps = coalesce($7, total_steps),
                  finished_at = CASE WHEN next.status IN ('blocked', 'scheduled', 'queued') THEN NULL ELSE now() END, lease_owner = NULL, lease_expires_at = NULL
             FROM next WHERE id = $1`,
          [pipelineId, result.status, result.error ?? null, result.image?.ref ?? null, result.image?.digest ?? null, result.image?.cachedSteps ?? null, result.image?.totalSteps ?? null],
        );
        return true;
      });
    },
  };
}

/** A paused pipeline's record, taken up again when a job is played. */
function resuming(pool: Pool): Pick<PipelineStore, 'resumeJobs' | 'addJobs'> {
  return {
    async addJobs(pipelineId: number, jobs: JobSpec[]): Promise<Map<string, number>> {
      return withTransaction(pool, async (client) => {
        // One trigger job adds its child at a time, but two could race after a play: the pipeline row orders them.
        await client.query('SELECT 1 FROM pipelines WHERE id = $1 FOR UPDATE', [pipelineId]);
        const { rows } = await client.query<{ id: number; name: string }>('SELECT id, name FROM jobs WHERE pipeline_id = $1', [pipelineId]);
        const recorded = new Map(rows.map((row) => [row.name, Number(row.id)]));
        const last = await client.query<{ position: number | null }>('SELECT max(position) AS position FROM jobs WHERE pipeline_id = $1', [pipelineId]);
        const added = await insertJobs(client, pipelineId, jobs.filter((job) => !recorded.has(job.name)), (last.rows[0]?.position ?? -1) + 1);
        return new Map(jobs.map((job) => [job.name, recorded.get(job.name) ?? added.get(job.name)!]));
      });
    },
    /**
     * The jobs of a pipeline resumed after a play, as recorded the first time; null when the plan
     * read now does not have the same jobs (the pipeline file must read the same at one commit).
     */
    async resumeJobs(pipelineId: number, plan: PipelinePlan): Promise<ResumedPipeline | null> {
      const { rows } = await pool.query<{ id: number; name: string; played: boolean; unscheduled: boolean }>(
        `SELECT id, name, played_at IS NOT NULL AS played, trigger = 'delayed' AND status = 'manual' AS unscheduled FROM jobs WHERE pipeline_id = $1`,
        [pipelineId],
      );
      const jobIds = new Map(rows.map((row) => [row.name, Number(row.id)]));
      // The jobs of a child a trigger job read as it ran are not in the plan: the trigger job reads them again.
      const triggers = plan.jobs.filter((job) => job.kind === 'trigger').map((job) => `${job.name} » `);
      const planned = [...jobIds.keys()].filter((name) => !triggers.some((prefix) => name.startsWith(prefix)));
      if (planned.length !== plan.jobs.length || plan.jobs.some((job) => !jobIds.has(job.name))) return null;
      return {
        id: pipelineId,
        jobIds,
        played: new Set(rows.filter((row) => row.played).map((row) => row.name)),
        unscheduled: new Set(rows.filter((row) => row.unscheduled).map((row) => row.name)),
      };
    },
  };
}

/** A running job's state, log chunks, services' output and kept artifacts. */
function jobRecords(pool: Pool): Pick<PipelineStore, 'markJobRunning' | 'finishJob' | 'saveServiceLogs' | 'saveArtifacts' | 'appendLog'> {
  const reviewApps = createReviewAppStore(pool);
  return {
    async markJobRunning(jobId: number): Promise<void> {
      await pool.query(`UPDATE jobs SET status = 'running', started_at = now() WHERE id = $1`, [jobId]);
    },
    /** A job's result; a job left waiting has not finished, and a delayed one gets its time once. */
    async finishJob(jobId: number, result: JobResult): Promise<void> {
      await pool.query(
        `UPDATE jobs SET status = $2, exit_code = $3, error = $4, duration_ms = CASE WHEN $7 THEN NULL ELSE $5::integer END, coverage = $6, failure_allowed = $8,
                finished_at = CASE WHEN $7 THEN NULL ELSE now() END,
                scheduled_at = CASE WHEN $2 = 'scheduled' THEN coalesce(scheduled_at, now() + make_interval(secs => coalesce(start_in_seconds, 0))) ELSE scheduled_at END
          WHERE id = $1`,
        [jobId, result.status, result.exitCode, result.error ?? null, result.durationMs, result.coverage ?? null, WAITING_JOB_STATUSES.has(result.status), result.failureAllowed === true],
      );
      if (!WAITING_JOB_STATUSES.has(result.status)) await reviewApps.noteJob(jobId);
    },
    async saveServiceLogs(jobId: number, logs: readonly ServiceLog[]): Promise<void> {
      for (const [position, log] of logs.entries()) {
        await pool.query(
          `INSERT INTO job_service_logs (job_id, position, name, image, log) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (job_id, position) DO UPDATE SET name = EXCLUDED.name, image = EXCLUDED.image, log = EXCLUDED.log`,
          [jobId, position, log.name, log.image, log.log],
        );
      }
    },
    async saveArtifacts(jobId: number, artifacts: SavedArtifacts): Promise<void> {
      await pool.query(
        `INSERT INTO job_artifacts (job_id, digest, size, files, name, expires_at, dotenv) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (job_id) DO UPDATE SET digest = EXCLUDED.digest, size = EXCLUDED.size, files = EXCLUDED.files, name = EXCLUDED.name,
                                            expires_at = EXCLUDED.expires_at, dotenv = EXCLUDED.dotenv`,
        [jobId, artifacts.digest, artifacts.size, artifacts.files, artifacts.name, artifacts.expiresAt, JSON.stringify(artifacts.dotenv)],
      );
    },
    async appendLog(jobId: number, seq: number, content: string): Promise<void> {
      await pool.query('INSERT INTO job_log_chunks (job_id, seq, content) VALUES ($1, $2, $3)', [jobId, seq, content]);
    },
  };
}

/** What earlier pipelines kept: jobs a retry reuses, artifacts past their time. */
function keptArtifacts(pool: Pool): Pick<PipelineStore, 'reusableJobs' | 'expiredArtifacts' | 'forgetArtifacts'> {
  return {
    /**
     * What each finished job of a pipeline did, as a retry of one of its jobs keeps it: the
     * result, the artifacts (with their dotenv) and, for the build job, the image.
     */
    async reusableJobs(pipelineId: number): Promise<Map<string, ReusedJob>> {
      const { rows } = await pool.query<{
        name: string; kind: string; status: JobResult['status']; exit_code: number | null; error: string | null; duration_ms: number | null; coverage: string | null; failure_allowed: boolean;
        digest: string | null; size: string | null; files: number | null; artifacts_name: string | null; expires_at: Date | null; dotenv: Record<string, string> | null;
        image_ref: string | null; image_digest: string | null; cached_steps: number | null; total_steps: number | null;
      }>(
        `SELECT j.name, j.kind, j.status, j.exit_code, j.error, j.duration_ms, j.coverage, j.failure_allowed,
                a.digest, a.size, a.files, a.name AS artifacts_name, a.expires_at, a.dotenv,
                p.image_ref, p.image_digest, p.cached_steps, p.total_steps
           FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id LEFT JOIN job_artifacts a ON a.job_id = j.id
          WHERE j.pipeline_id = $1 AND j.status IN ('passed', 'failed', 'skipped')`,
        [pipelineId],
      );
      const reusable = new Map<string, ReusedJob>();
      for (const row of rows) {
        const image: ImageResult | undefined =
          row.kind === 'build' && row.status === 'passed' && row.image_ref && row.image_digest
            ? { ref: row.image_ref, digest: row.image_digest, tags: [], pushed: true, cachedSteps: row.cached_steps ?? 0, totalSteps: row.total_steps ?? 0 }
            : undefined;
        reusable.set(row.name, {
          fromPipeline: String(pipelineId),
          result: {
            status: row.status,
            exitCode: row.exit_code,
            durationMs: row.duration_ms ?? 0,
            ...(row.error === null ? {} : { error: row.error }),
            ...(row.coverage === null ? {} : { coverage: Number(row.coverage) }),
            ...(row.failure_allowed ? { failureAllowed: true } : {}),
          },
          ...(row.digest === null
            ? {}
            : { artifacts: { digest: row.digest, size: Number(row.size), files: row.files ?? 0, name: row.artifacts_name ?? 'artifacts', expiresAt: row.expires_at, dotenv: row.dotenv ?? {} } }),
          ...(image ? { image } : {}),
        });
      }
      return reusable;
    },
    /** Artifacts past their expiry, oldest first, with the project whose registry repository holds them. */
    async expiredArtifacts(limit: number): Promise<Array<{ jobId: number; project: ProjectKey; digest: string }>> {
      const { rows } = await pool.query<{ job_id: number; forge: ForgeName; project: string; digest: string }>(
        `SELECT a.job_id, p.forge, p.project, a.digest FROM job_artifacts a JOIN jobs j ON j.id = a.job_id JOIN pipelines p ON p.id = j.pipeline_id
          WHERE a.expires_at <= now() ORDER BY a.expires_at LIMIT $1`,
        [limit],
      );
      return rows.map((row) => ({ jobId: Number(row.job_id), project: { forge: row.forge, project: row.project }, digest: row.digest }));
    },
    async forgetArtifacts(jobId: number): Promise<void> {
      await pool.query('DELETE FROM job_artifacts WHERE job_id = $1', [jobId]);
    },
  };
}

export function createPipelineStore(pool: Pool): PipelineStore {
  return { ...pipelines(pool), ...resuming(pool), ...jobRecords(pool), ...keptArtifacts(pool) };
}
