import type { ServiceLog } from '../pipeline/executor.js';
import type { ForgeName, ForgeTarget } from '../model/forge-event.js';
import type { JobKind, JobStatus, PipelineStatus } from '../model/status.js';
import { newerPipelineOf, selectFacts, type PipelineRow } from './pipeline-row.js';
import type { Pool } from './pool.js';
import type { RecordedFacts } from '../model/pipeline-facts.js';

export interface JobView {
  id: number;
  name: string;
  stage: string;
  /** GitLab's `needs`; null when the job waits for the earlier stages. */
  needs: string[] | null;
  kind: JobKind;
  status: JobStatus;
  exitCode: number | null;
  error: string | null;
  durationMs: number | null;
  /** Percent, from the job's `coverage` pattern. */
  coverage: number | null;
  /** It failed as its `allow_failure` allows: shown as failed, "allowed to fail". */
  failureAllowed: boolean;
  /** What the job kept, when it kept something. */
  artifacts: ArtifactsView | null;
  /** ISO times. */
  startedAt: string | null;
  finishedAt: string | null;
  /** How it starts: by itself, when a person plays it, or after a delay. */
  trigger: 'automatic' | 'manual' | 'delayed';
  /** Who played it (a manual job, or a delayed one started early), and when (ISO). */
  playedBy: string | null;
  playedAt: string | null;
  /** When a delayed job starts (ISO), while it is scheduled. */
  scheduledAt: string | null;
}

/** A pipeline in a list: no jobs, no logs. */
export interface PipelineSummary {
  id: number;
  forge: ForgeName;
  project: string;
  sha: string;
  ref: string;
  changeRequest: number | null;
  status: PipelineStatus;
  name: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface PipelineFilter {
  ref?: string;
  status?: PipelineStatus;
  changeRequest?: number;
  /** Only pipelines older than this one: the next page. */
  before?: number;
  /** A search: part of the branch name, or the start of the commit's SHA. */
  search?: string;
  limit: number;
}

const SUMMARY = `id, forge, project, sha, ref, change_request AS "changeRequest", status, name, created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt"`;

export interface ArtifactsView {
  digest: string;
  size: number;
  files: number;
  name: string;
  /** ISO time; null when kept until deleted. */
  expiresAt: string | null;
}

export interface PipelineView {
  id: number;
  forge: ForgeName;
  project: string;
  forgeContext: Record<string, string | number>;
  sha: string;
  ref: string;
  changeRequest: number | null;
  fromFork: boolean;
  status: PipelineStatus;
  error: string | null;
  cancelReason: string | null;
  /** The answer to the last `/slipway` command (or Re-run) about this pipeline. */
  commandNote: string | null;
  supersededBy: number | null;
  /** The newer pipeline of its branch or change request, if any: only the newest may be retried. */
  newerId: number | null;
  planSource: string | null;
  /** The file's `workflow:name`. */
  name: string | null;
  /** What the pipeline file asked for that Slipway does not do. */
  planNotes: string[];
  image: { ref: string; digest: string | null; cachedSteps: number | null; totalSteps: number | null } | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  jobs: JobView[];
  /** Older pipelines of the same change request that this one replaced. */
  superseded: Array<{ id: number; sha: string }>;
  /** A deployment's run of the file's deploy jobs: it reports to the deployment, not to the forge. */
  deploymentId: number | null;
  /** The pipeline this one retries (all of it, or `retriedJob` and what waits for it). */
  retryOf: number | null;
  retriedJob: string | null;
}

type Row = PipelineRow;

/** Pipeline `p`'s jobs as `JobView`s, in the plan's order. */
const JOBS_OF_P = `coalesce((SELECT json_agg(json_build_object('id', j.id, 'name', j.name, 'stage', j.stage, 'needs', j.needs, 'kind', j.kind, 'status', j.status,
                                                 'startedAt', j.started_at, 'finishedAt', j.finished_at,
                                                 'exitCode', j.exit_code, 'error', j.error, 'durationMs', j.duration_ms,
                                                 'coverage', j.coverage, 'failureAllowed', j.failure_allowed, 'trigger', j.trigger, 'playedBy', j.played_by,
                                                 'playedAt', j.played_at, 'scheduledAt', j.scheduled_at,
                                                 'artifacts', (SELECT json_build_object('digest', a.digest, 'size', a.size, 'files', a.files,
                                                                                        'name', a.name, 'expiresAt', a.expires_at)
                                                                 FROM job_artifacts a WHERE a.job_id = j.id))
                               ORDER BY j.position)
                 FROM jobs j WHERE j.pipeline_id = p.id), '[]')`;

/** Pipelines as pages and reports read them. */
function pipelineViews(pool: Pool) {
  return {
    /** A pipeline with its jobs and the pipelines it superseded, in one round trip. */
    async get(pipelineId: number): Promise<PipelineView | null> {
      const { rows } = await pool.query<Row & { jobs: JobView[]; superseded: Array<{ id: number; sha: string }>; newer_id: number | null }>(
        `SELECT p.*,
                ${JOBS_OF_P} AS jobs,
                (${newerPipelineOf('p')}) AS newer_id,
                coalesce((SELECT json_agg(json_build_object('id', o.id, 'sha', o.sha) ORDER BY o.id)
                            FROM pipelines o WHERE o.superseded_by = p.id), '[]') AS superseded
           FROM pipelines p WHERE p.id = $1`,
        [pipelineId],
      );
      const row = rows[0];
      if (!row) return null;
      return {
        id: row.id,
        forge: row.forge,
        project: row.project,
        forgeContext: row.forge_context,
        sha: row.sha,
        ref: row.ref,
        changeRequest: row.change_request,
        fromFork: row.from_fork,
        status: row.status,
        error: row.error,
        cancelReason: row.cancel_reason,
        commandNote: row.command_note,
        supersededBy: row.superseded_by,
        newerId: row.newer_id,
        planSource: row.plan_source,
        name: row.name,
        planNotes: row.plan_notes,
        image: row.image_ref ? { ref: row.image_ref, digest: row.image_digest, cachedSteps: row.cached_steps, totalSteps: row.total_steps } : null,
        createdAt: row.created_at,
        startedAt: row.started_at,
        finishedAt: row.finished_at,
        jobs: row.jobs,
        superseded: row.superseded,
        deploymentId: row.deployment_id,
        // A deployment's run also names the pipeline that tested its commit: that is not a retry.
        retryOf: row.deployment_id === null ? row.retry_of : null,
        retriedJob: row.deployment_id === null ? row.retry_job : null,
      };
    },
    /** Every project Slipway has run a pipeline for, with its newest pipeline, the most lately active first. */
    async projects(): Promise<PipelineSummary[]> {
      const { rows } = await pool.query<PipelineSummary>(
        `SELECT * FROM (SELECT DISTINCT ON (forge, project) ${SUMMARY} FROM pipelines ORDER BY forge, project, id DESC) latest ORDER BY id DESC`,
      );
      return rows;
    },
    /** A project's pipelines, newest first, one page of them. */
    async list(forge: ForgeName, project: string, filter: PipelineFilter): Promise<PipelineSummary[]> {
      const { rows } = await pool.query<PipelineSummary>(
        `SELECT ${SUMMARY} FROM pipelines
          WHERE forge = $1 AND project = $2 AND ($3::text IS NULL OR ref = $3) AND ($4::text IS NULL OR status = $4)
            AND ($5::int IS NULL OR change_request = $5) AND ($6::bigint IS NULL OR id < $6)
            AND ($8::text IS NULL OR strpos(lower(ref), lower($8)) > 0 OR (lower($8) ~ '^[0-9a-f]{4,64}$' AND starts_with(sha, lower($8))))
          ORDER BY id DESC LIMIT $7`,
        [forge, project, filter.ref ?? null, filter.status ?? null, filter.changeRequest ?? null, filter.before ?? null, filter.limit, filter.search ?? null],
      );
      return rows;
    },
    /** The newest pipeline of a commit, for GitHub's "Re-run" of its checks. */
    async latestForSha(forge: ForgeName, project: string, sha: string): Promise<number | null> {
      const { rows } = await pool.query<{ id: string }>('SELECT id FROM pipelines WHERE forge = $1 AND project = $2 AND sha = $3 AND deployment_id IS NULL ORDER BY id DESC LIMIT 1', [forge, project, sha]);
      return rows[0] ? Number(rows[0].id) : null;
    },
    /** The newest pipeline of a change request: the one its comment shows. */
    async latestForChangeRequest(forge: string, project: string, changeRequest: number): Promise<number | null> {
      const { rows } = await pool.query<{ id: number }>(
        'SELECT id FROM pipelines WHERE forge = $1 AND project = $2 AND change_request = $3 AND deployment_id IS NULL ORDER BY id DESC LIMIT 1',
        [forge, project, changeRequest],
      );
      return rows[0]?.id ?? null;
    },
  };
}

/** A pipeline's or project's facts others act on: its forge target, its forge, its ref. */
function pipelineFacts(pool: Pool) {
  return {
    /** How the forge's API addresses a project: the context of its newest pipeline. */
    async targetOf(forge: ForgeName, project: string): Promise<ForgeTarget | null> {
      const { rows } = await pool.query<{ forge_context: Record<string, string | number> }>(
        'SELECT forge_context FROM pipelines WHERE forge = $1 AND project = $2 ORDER BY id DESC LIMIT 1',
        [forge, project],
      );
      return rows[0] ? { forge, project, apiContext: rows[0].forge_context } : null;
    },
    /** The forge a project's pipelines came from (environments name only the project). */
    async forgeOf(project: string): Promise<ForgeName | null> {
      const { rows } = await pool.query<{ forge: ForgeName }>('SELECT forge FROM pipelines WHERE project = $1 ORDER BY id DESC LIMIT 1', [project]);
      return rows[0]?.forge ?? null;
    },
    /** The ref a pipeline ran on, and the project's default branch then: what decides whether the ref was protected. */
    factsOf(pipelineId: number): Promise<RecordedFacts | null> {
      return selectFacts(pool, pipelineId);
    },
  };
}

/** Job logs and services' output, whole or from a point. */
function logViews(pool: Pool) {
  return {
    /** A job's log chunks after `afterSeq`, for a live page that resumes where it stopped. */
    async logSince(jobId: number, afterSeq: number, limit = 200): Promise<Array<{ seq: number; content: string }>> {
      const { rows } = await pool.query<{ seq: number; content: string }>(
        'SELECT seq, content FROM job_log_chunks WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        [jobId, afterSeq, limit],
      );
      return rows;
    },
    /** What each service of a job printed, in the job's order of services. */
    async serviceLogs(jobId: number): Promise<ServiceLog[]> {
      const { rows } = await pool.query<ServiceLog>('SELECT name, image, log FROM job_service_logs WHERE job_id = $1 ORDER BY position', [jobId]);
      return rows;
    },
    async log(jobId: number): Promise<string> {
      const { rows } = await pool.query<{ content: string }>('SELECT content FROM job_log_chunks WHERE job_id = $1 ORDER BY seq', [jobId]);
      return rows.map((row) => row.content).join('');
    },
    /** The last `lines` lines of a job's log, for a failed job in the comment. */
    async logTail(jobId: number, lines: number): Promise<string> {
      const { rows } = await pool.query<{ content: string }>(
        'SELECT content FROM (SELECT seq, content FROM job_log_chunks WHERE job_id = $1 ORDER BY seq DESC LIMIT 8) last ORDER BY seq',
        [jobId],
      );
      return rows.map((row) => row.content).join('').replace(/\n+$/, '').split('\n').slice(-lines).join('\n');
    },
  };
}

export function createPipelineViews(pool: Pool) {
  return { ...pipelineViews(pool), ...pipelineFacts(pool), ...logViews(pool) };
}

export type PipelineViews = ReturnType<typeof createPipelineViews>;
