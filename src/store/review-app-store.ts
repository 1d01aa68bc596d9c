import type { ForgeName } from '../model/forge-event.js';
import type { Pool } from './pool.js';

/** A review app: an environment (`approval: none`) a pipeline's own job deployed, as Slipway recorded it. */
export interface ReviewApp {
  forge: ForgeName;
  project: string;
  environment: string;
  state: 'available' | 'stopping' | 'stopped';
  url: string | null;
  sha: string;
  ref: string;
  changeRequest: number | null;
  /** The pipeline whose job deployed it; its stop job is played there. */
  pipelineId: number;
  job: string;
  stopJob: string | null;
  autoStopAt: Date | null;
  deployedAt: Date;
  stoppedAt: Date | null;
  stoppedBy: string | null;
  /** Why it counts as stopped though its stop job did not run. */
  stopNote: string | null;
}

export interface ReviewAppStore {
  /**
   * What a job that just ended did to its review app, read from the job's own record: a passed
   * start deploys it (again), a passed stop stops it, a failed stop leaves it running.
   */
  noteJob(jobId: number): Promise<void>;
  /** The running review apps a closed change request (or, with none, a deleted branch) leaves behind. */
  leftBy(forge: ForgeName, project: string, where: { changeRequest: number } | { ref: string }): Promise<ReviewApp[]>;
  /** Running review apps whose `auto_stop_in` ran out. */
  dueToStop(limit?: number): Promise<ReviewApp[]>;
  /** Claims the stop of a running review app, once: false when it is stopping or stopped already. */
  markStopping(app: ReviewApp, by: string): Promise<boolean>;
  /** Stopped without its stop job running, and why. */
  markStopped(app: ReviewApp, by: string, note: string): Promise<void>;
  /** The review apps of these projects, running ones first, newest first. */
  list(projects: Array<{ forge: ForgeName; project: string }>): Promise<ReviewApp[]>;
}

const COLUMNS = `forge, project, environment, state, url, sha, ref, change_request AS "changeRequest", pipeline_id AS "pipelineId", job,
  stop_job AS "stopJob", auto_stop_at AS "autoStopAt", deployed_at AS "deployedAt", stopped_at AS "stoppedAt", stopped_by AS "stoppedBy", stop_note AS "stopNote"`;

export function createReviewAppStore(pool: Pool): ReviewAppStore {
  return {
    async noteJob(jobId) {
      // Only a job that ran in a pipeline of the commit (never a /deploy's) and that /deploy does
      // not hold: with the policy's approval: none, the only jobs with an environment that run so.
      // Never a fork's: on GitLab its pipeline runs in the fork, and touches none of the project's environments.
      await pool.query(
        `WITH job AS (
           SELECT j.name, j.status, j.environment, j.environment_action, j.environment_url, j.environment_on_stop,
                  j.environment_auto_stop_seconds, j.played_by, p.id AS pipeline_id, p.forge, p.project, p.sha, p.ref, p.change_request
             FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id
            WHERE j.id = $1 AND j.environment IS NOT NULL AND NOT j.waits_for_deploy AND p.deployment_id IS NULL AND NOT p.from_fork
         ), started AS (
           INSERT INTO review_apps (forge, project, environment, state, url, sha, ref, change_request, pipeline_id, job, stop_job, auto_stop_at)
           SELECT forge, project, environment, 'available', environment_url, sha, ref, change_request, pipeline_id, name, environment_on_stop,
                  now() + make_interval(secs => environment_auto_stop_seconds)
             FROM job WHERE status = 'passed' AND environment_action = 'start'
           ON CONFLICT (forge, project, environment) DO UPDATE
             SET state = 'available', url = EXCLUDED.url, sha = EXCLUDED.sha, ref = EXCLUDED.ref, change_request = EXCLUDED.change_request,
                 pipeline_id = EXCLUDED.pipeline_id, job = EXCLUDED.job, stop_job = EXCLUDED.stop_job, auto_stop_at = EXCLUDED.auto_stop_at,
                 deployed_at = now(), stopped_at = NULL, stopped_by = NULL, stop_note = NULL
         )
         UPDATE review_apps r
            SET state = CASE WHEN job.status = 'passed' THEN 'stopped' ELSE 'available' END,
                stopped_at = CASE WHEN job.status = 'passed' THEN now() END,
                stopped_by = CASE WHEN job.status = 'passed' THEN coalesce(r.stopped_by, job.played_by) END
           FROM job
          WHERE job.environment_action = 'stop' AND job.status IN ('passed', 'failed', 'canceled')
            AND r.forge = job.forge AND r.project = job.project AND r.environment = job.environment AND r.state <> 'stopped'`,
        [jobId],
      );
    },

    async leftBy(forge, project, where) {
      const { rows } = await pool.query<ReviewApp>(
        `SELECT ${COLUMNS} FROM review_apps
          WHERE forge = $1 AND project = $2 AND state = 'available' AND ${'changeRequest' in where ? 'change_request = $3' : 'ref = $3'}
          ORDER BY environment`,
        [forge, project, 'changeRequest' in where ? where.changeRequest : where.ref],
      );
      return rows;
    },

    async dueToStop(limit = 50) {
      const { rows } = await pool.query<ReviewApp>(
        `SELECT ${COLUMNS} FROM review_apps WHERE state = 'available' AND auto_stop_at <= now() ORDER BY auto_stop_at LIMIT $1`,
        [limit],
      );
      return rows;
    },

    async markStopping(app, by) {
      const { rowCount } = await pool.query(
        `UPDATE review_apps SET state = 'stopping', stopped_by = $4
          WHERE forge = $1 AND project = $2 AND environment = $3 AND state = 'available' AND pipeline_id = $5`,
        [app.forge, app.project, app.environment, by, app.pipelineId],
      );
      return rowCount === 1;
    },

    async markStopped(app, by, note) {
      await pool.query(
        `UPDATE review_apps SET state = 'stopped', stopped_at = now(), stopped_by = $4, stop_note = $5
          WHERE forge = $1 AND project = $2 AND environment = $3 AND state <> 'stopped' AND pipeline_id = $6`,
        [app.forge, app.project, app.environment, by, note, app.pipelineId],
      );
    },

    async list(projects) {
      if (projects.length === 0) return [];
      const { rows } = await pool.query<ReviewApp>(
        `SELECT ${COLUMNS} FROM review_apps
          WHERE (forge, project) IN (SELECT * FROM unnest($1::text[], $2::text[]))
          ORDER BY state = 'stopped', deployed_at DESC LIMIT 200`,
        [projects.map((each) => each.forge), projects.map((each) => each.project)],
      );
      return rows;
    },
  };
}
