import type { HeldJob } from '../model/deployment.js';
import type { PipelineStatus } from '../model/status.js';
import { COPIED_FACT_COLUMNS } from './pipeline-row.js';
import type { Pool } from './pool.js';

/**
 * The pipeline file's deploy jobs as a deployment runs them: found in the tested pipeline's
 * record (what Slipway saw the file say, not what anyone claims now), run in a pipeline of their
 * own tied to the deployment, and read back when it ends.
 */
export interface DeployJobStore {
  /** The jobs of a tested pipeline that wait for `/deploy`, in the pipeline's order, with their environments. */
  heldJobs(pipelineId: number): Promise<HeldJob[]>;
  /**
   * Queues the deployment's pipeline, once: a takeover after a crash gets the same one. It runs
   * the tested commit again, with the tested pipeline's results kept.
   */
  queue(deploymentId: number, testedPipelineId: number): Promise<number>;
  /** How a pipeline stands, with the jobs that failed; null when it is gone. */
  outcome(pipelineId: number): Promise<{ status: PipelineStatus; error: string | null; failedJobs: string[] } | null>;
}

/** A pipeline's jobs that wait for `/deploy`, as recorded: what `jobsDeployingTo` chooses from. */
export async function selectHeldJobs(pool: Pool, pipelineId: number): Promise<HeldJob[]> {
  const { rows } = await pool.query<{ name: string; environment: string | null; action: string | null }>(
    `SELECT name, environment, coalesce(environment_action, 'start') AS action FROM jobs
      WHERE pipeline_id = $1 AND waits_for_deploy ORDER BY position`,
    [pipelineId],
  );
  return rows.map((row) => ({ name: row.name, ...(row.environment === null ? {} : { environment: { name: row.environment, action: row.action ?? 'start' } }) }));
}

export function createDeployJobStore(pool: Pool): DeployJobStore {
  return {
    heldJobs: (pipelineId) => selectHeldJobs(pool, pipelineId),

    async queue(deploymentId, testedPipelineId) {
      const { rows } = await pool.query<{ id: number }>(
        `WITH queued AS (
           INSERT INTO pipelines (${COPIED_FACT_COLUMNS}, event, retry_of, deployment_id)
           SELECT ${COPIED_FACT_COLUMNS}, 'deploy', id, $1
             FROM pipelines WHERE id = $2
           ON CONFLICT (deployment_id) DO NOTHING
           RETURNING id),
         linked AS (UPDATE deployments SET job_pipeline_id = (SELECT id FROM queued) WHERE id = $1 AND EXISTS (SELECT 1 FROM queued))
         SELECT id FROM queued UNION ALL SELECT id FROM pipelines WHERE deployment_id = $1`,
        [deploymentId, testedPipelineId],
      );
      if (!rows[0]) throw new Error(`pipeline #${testedPipelineId}, which tested the commit, is gone`);
      return rows[0].id;
    },

    async outcome(pipelineId) {
      const { rows } = await pool.query<{ status: PipelineStatus; error: string | null; failedJobs: string[] }>(
        `SELECT status, error, array(SELECT name FROM jobs WHERE pipeline_id = p.id AND status = 'failed' ORDER BY position) AS "failedJobs"
           FROM pipelines p WHERE id = $1`,
        [pipelineId],
      );
      return rows[0] ?? null;
    },
  };
}
