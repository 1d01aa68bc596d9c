import type { Pool } from './pool.js';

/** Why a job could not be played or unscheduled, for the caller to put into words. */
export type TriggerRefusal =
  | { refused: 'missing' }
  | { refused: 'no-job' }
  | { refused: 'canceled' }
  /** The job is not waiting to be played: its state now. */
  | { refused: 'not-waiting'; status: string };

/** Manual and delayed jobs: played by a person, started when their time comes, unscheduled. */
export interface WaitingJobs {
  /**
   * Plays a manual job (or starts a delayed one now): it runs at the pipeline's next claim, in
   * the same pipeline, which is queued again unless a worker is still running it.
   */
  play(pipelineId: number, job: string, by: string): Promise<{ played: true } | TriggerRefusal>;
  /** Turns a delayed job that has not started into one that waits to be played. */
  unschedule(pipelineId: number, job: string, by: string): Promise<{ unscheduled: true } | TriggerRefusal>;
  /** Starts every delayed job whose time has come, once: the pipelines queued again. */
  startDue(): Promise<number[]>;
}

/** A paused or finished pipeline that a played job takes up again. */
const RESUMABLE = `('blocked', 'scheduled', 'passed', 'failed')`;

/** Why the job was not changed, read from the pipeline and job as they are now. */
async function refusalOf(pool: Pool, pipelineId: number, job: string): Promise<TriggerRefusal> {
  const { rows } = await pool.query<{ pipeline_status: string; job_status: string | null }>(
    `SELECT p.status AS pipeline_status, (SELECT j.status FROM jobs j WHERE j.pipeline_id = p.id AND j.name = $2) AS job_status FROM pipelines p WHERE p.id = $1`,
    [pipelineId, job],
  );
  const row = rows[0];
  if (!row) return { refused: 'missing' };
  if (row.job_status === null) return { refused: 'no-job' };
  if (row.pipeline_status === 'canceled' || row.pipeline_status === 'error') return { refused: 'canceled' };
  return { refused: 'not-waiting', status: row.job_status };
}

export function createWaitingJobs(pool: Pool): WaitingJobs {
  return {
    async play(pipelineId, job, by) {
      const { rowCount } = await pool.query(
        `WITH played AS (
           UPDATE jobs j SET status = 'pending', played_by = $3, played_at = now(), error = NULL
             FROM pipelines p
            WHERE j.pipeline_id = $1 AND j.name = $2 AND p.id = j.pipeline_id AND j.status IN ('manual', 'scheduled')
              AND p.status NOT IN ('canceled', 'error', 'skipped') AND NOT p.cancel_requested
           RETURNING j.pipeline_id)
         -- A pipeline a worker is running now is queued again when that run ends (see finish).
         UPDATE pipelines SET status = CASE WHEN status IN ${RESUMABLE} THEN 'queued' ELSE status END,
                              finished_at = CASE WHEN status IN ${RESUMABLE} THEN NULL ELSE finished_at END,
                              attempts = CASE WHEN status IN ${RESUMABLE} THEN 0 ELSE attempts END
          WHERE id IN (SELECT pipeline_id FROM played)`,
        [pipelineId, job, by],
      );
      return rowCount === 1 ? { played: true } : refusalOf(pool, pipelineId, job);
    },

    async unschedule(pipelineId, job, by) {
      const changed = await pool.query(
        `UPDATE jobs SET status = 'manual', scheduled_at = NULL, error = 'unscheduled by ' || $3 || ': waits for a person to play it'
          WHERE pipeline_id = $1 AND name = $2 AND status = 'scheduled'`,
        [pipelineId, job, by],
      );
      if (changed.rowCount !== 1) return refusalOf(pool, pipelineId, job);
      // Nothing left to wait for but people: the pipeline is blocked, as a manual job leaves it.
      await pool.query(
        `UPDATE pipelines p SET status = 'blocked'
          WHERE p.id = $1 AND p.status = 'scheduled' AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.pipeline_id = p.id AND j.status = 'scheduled')`,
        [pipelineId],
      );
      return { unscheduled: true };
    },

    async startDue() {
      const { rows } = await pool.query<{ id: string }>(
        `WITH due AS (
           UPDATE jobs SET status = 'pending', played_at = now(), error = NULL
            WHERE status = 'scheduled' AND scheduled_at <= now()
           RETURNING pipeline_id)
         UPDATE pipelines SET status = 'queued', finished_at = NULL, attempts = 0
          WHERE id IN (SELECT pipeline_id FROM due) AND status IN ${RESUMABLE}
         RETURNING id`,
      );
      return rows.map((row) => Number(row.id));
    },
  };
}
