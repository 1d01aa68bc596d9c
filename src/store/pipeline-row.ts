import type { ForgeName } from '../model/forge-event.js';
import type { RecordedFacts } from '../model/pipeline-facts.js';
import { forgeProtectedRefs } from '../model/ref-patterns.js';
import type { Pool } from './pool.js';
import type { PipelineStatus } from '../model/status.js';

/** A row of the `pipelines` table, as PostgreSQL returns it: the one description of that table. */
export interface PipelineRow {
  id: number;
  forge: ForgeName;
  project: string;
  forge_context: Record<string, string | number>;
  sha: string;
  ref: string;
  default_branch: string | null;
  change_request: number | null;
  from_fork: boolean;
  diff_base: string | null;
  status: PipelineStatus;
  error: string | null;
  cancel_reason: string | null;
  /** The answer to the last `/slipway` command about this pipeline. */
  command_note: string | null;
  /** A retry of one job: the pipeline it retries, and the job. */
  retry_of: number | null;
  retry_job: string | null;
  /** A deployment's run of the file's deploy jobs (with `retry_of` the pipeline that tested the commit). */
  deployment_id: number | null;
  cancel_requested: boolean;
  superseded_by: number | null;
  plan_source: string | null;
  plan_notes: string[];
  name: string | null;
  image_ref: string | null;
  image_digest: string | null;
  cached_steps: number | null;
  total_steps: number | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** The columns that hold a pipeline's facts, for a SELECT or RETURNING list. */
export const FACT_COLUMNS = ['id', 'forge', 'project', 'sha', 'ref', 'default_branch', 'change_request', 'from_fork', 'diff_base', 'forge_context'] as const;

export type FactRow = Pick<PipelineRow, (typeof FACT_COLUMNS)[number]>;

/** The facts a new pipeline of the same commit copies from an earlier one (a retry, a deploy's run). */
export const COPIED_FACT_COLUMNS = FACT_COLUMNS.filter((column) => column !== 'id').join(', ');

/** A row's facts, in the one shape the worker, the engine and the checks share. */
export function factsOfRow(row: FactRow): RecordedFacts {
  return {
    id: String(row.id),
    forge: row.forge,
    project: row.project,
    sha: row.sha,
    ref: row.ref,
    defaultBranch: row.default_branch,
    changeRequest: row.change_request,
    fromFork: row.from_fork,
    diffBase: row.diff_base,
    forgeProtectedRefs: forgeProtectedRefs(row.forge_context ?? {}),
  };
}

/** One pipeline's facts, or null when there is no such pipeline. */
export async function selectFacts(pool: Pool, pipelineId: number): Promise<RecordedFacts | null> {
  const { rows } = await pool.query<FactRow>(`SELECT ${FACT_COLUMNS.join(', ')} FROM pipelines WHERE id = $1`, [pipelineId]);
  return rows[0] ? factsOfRow(rows[0]) : null;
}

/**
 * The newest pipeline of the same branch (or change request) after pipeline `old` (an alias of
 * `pipelines`): the one its comment and status follow, so the only one a retry may start again.
 */
export const newerPipelineOf = (old: string) =>
  `SELECT max(n.id) FROM pipelines n
    WHERE n.forge = ${old}.forge AND n.project = ${old}.project AND n.id > ${old}.id AND n.deployment_id IS NULL
      AND CASE WHEN ${old}.change_request IS NULL THEN n.change_request IS NULL AND n.ref = ${old}.ref ELSE n.change_request = ${old}.change_request END`;
