import type { PipelineStatus } from '../model/status.js';
import type { Pool } from './pool.js';

/**
 * The pipeline file's deploy jobs as a deployment runs them: found in the tested pipeline's
 * record (what Slipway saw the file say, not what anyone claims now), run in a pipeline of their
 * own tied to the deployment, and read back when it ends.
 */
export interface DeployJobStore {
  /**
   * The jobs of a tested pipeline that deploy to `environment`: those that name it (and start
   * it), or else those of the deploy stage that name no environment. Empty: the file has none.
   */
  jobsFor(pipelineId: number, environment: string): Promise<string[]>;
  /**
   * Queues the deployment's pipeline, once: a takeover after a crash gets the same one. It runs
   * the tested commit again, with the tested pipeline's results kept.
   */
  queue(deploymentId: number, testedPipelineId: number): Promise<number>;
  /** How a pipeline stands, with the jobs that failed; null when it is gone. */
  outcome(pipelineId: number): Promise<{ status: PipelineStatus; error: string | null; failedJobs: string[] } | null>;
}

export function createDeployJobStore(pool: Pool): DeployJobStore {
  return {
    async jobsFor(pipelineId, environment) {
      const { rows } = await pool.query<{ names: string[] | null }>(
        `WITH held AS (SELECT name, environment, position FROM jobs
                        WHERE pipeline_id = $1 AND waits_for_deploy AND coalesce(environment_action, 'start') = 'start'),
              named AS (SELECT name, position FROM held WHERE environment = $2)
         SELECT array_agg(name ORDER BY position) AS names FROM
           (SELECT name, position FROM named
            UNION ALL
            SELECT name, position FROM held WHERE environment IS NULL AND NOT EXISTS (SELECT 1 FROM named)) chosen`,
        [pipelineId, environment],
      );
      return rows[0]?.names ?? [];
    },

    async queue(deploymentId, testedPipelineId) {
      const { rows } = await pool.query<{ id: number }>(
        `WITH queued AS (
           INSERT INTO pipelines (forge, project, sha, ref, default_branch, change_request, from_fork, diff_base, forge_context, event, retry_of, deployment_id)
           SELECT forge, project, sha, ref, default_branch, change_request, from_fork, diff_base, forge_context, 'deploy', id, $1
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
