import type { PipelineStatus } from '../model/status.js';
import { selectHeldJobs } from './deploy-job-store.js';
import type { Pool } from './pool.js';

/** One pipeline of a commit, as `/deploy` weighs it. */
export interface CommitPipeline {
  id: number;
  project: string;
  sha: string;
  ref: string;
  status: PipelineStatus;
  imageRef: string | null;
  digest: string | null;
}

/** Pipelines of the commits a SHA prefix could name, newest first. */
export function createTestedCommitStore(pool: Pool) {
  return {
    async pipelinesOf(prefix: string, projects: string[]): Promise<CommitPipeline[]> {
      const { rows } = await pool.query<CommitPipeline>(
        `SELECT id, project, sha, ref, status, image_ref AS "imageRef", image_digest AS "digest" FROM pipelines
          WHERE sha LIKE $1 || '%' AND project = ANY($2) AND deployment_id IS NULL ORDER BY id DESC LIMIT 200`,
        [prefix, projects],
      );
      return rows.map((row) => ({ ...row, id: Number(row.id) }));
    },

    /** The environments a pipeline's file names (`environment:` of its jobs), sorted. */
    async fileEnvironments(pipelineId: number): Promise<string[]> {
      const { rows } = await pool.query<{ environment: string }>(
        'SELECT DISTINCT environment FROM jobs WHERE pipeline_id = $1 AND environment IS NOT NULL ORDER BY environment',
        [pipelineId],
      );
      return rows.map((row) => row.environment);
    },

    /** The jobs of a pipeline that wait for `/deploy`, with their environments (see `jobsDeployingTo`). */
    heldJobs: (pipelineId: number) => selectHeldJobs(pool, pipelineId),

    /** Has this digest been deployed to the environment, successfully? (`after` rules.) */
    async deployedTo(project: string, environment: string, digest: string): Promise<boolean> {
      const { rows } = await pool.query(`SELECT 1 FROM deployments WHERE project = $1 AND environment = $2 AND digest = $3 AND status = 'succeeded' AND kind <> 'stop' LIMIT 1`, [project, environment, digest]);
      return rows.length > 0;
    },
  };
}

export type TestedCommitStore = ReturnType<typeof createTestedCommitStore>;
