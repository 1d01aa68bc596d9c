import type pg from 'pg';
import { fakeSha } from './docker-lab.js';

export interface FixtureJob {
  name: string;
  stage?: string;
  status?: string;
  needs?: string[];
  log?: string;
}

/** A pipeline as a worker would have recorded it, written straight into the tables the pages read. */
export async function insertPipeline(
  db: pg.Pool,
  options: { project: string; projectId: number; status: string; ref?: string; changeRequest?: number; jobs?: FixtureJob[]; forge?: string },
): Promise<{ id: number; jobIds: number[]; sha: string }> {
  const sha = fakeSha();
  const finished = ['passed', 'failed', 'canceled', 'error', 'skipped'].includes(options.status);
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO pipelines (forge, project, sha, ref, default_branch, change_request, from_fork, forge_context, event, status, started_at, finished_at)
     VALUES ($1, $2, $3, $4, 'main', $5, false, $6, 'push', $7, CASE WHEN $7 <> 'queued' THEN now() END, CASE WHEN $8 THEN now() END) RETURNING id`,
    [options.forge ?? 'gitlab', options.project, sha, options.ref ?? 'main', options.changeRequest ?? null, JSON.stringify({ projectId: options.projectId }), options.status, finished],
  );
  const id = Number(rows[0]!.id);
  const jobIds: number[] = [];
  for (const [position, job] of (options.jobs ?? []).entries()) {
    const inserted = await db.query<{ id: string }>(
      `INSERT INTO jobs (pipeline_id, name, kind, stage, position, status, needs, trigger, started_at, finished_at, duration_ms)
       VALUES ($1, $2, 'script', $3, $4, $5, $6, CASE $5 WHEN 'manual' THEN 'manual' WHEN 'scheduled' THEN 'delayed' ELSE 'automatic' END,
               CASE WHEN $5 NOT IN ('pending', 'manual', 'scheduled', 'created') THEN now() - interval '42 seconds' END,
               CASE WHEN $5 IN ('passed', 'failed', 'canceled') THEN now() END, CASE WHEN $5 IN ('passed', 'failed', 'canceled') THEN 42000 END) RETURNING id`,
      [id, job.name, job.stage ?? 'test', position, job.status ?? 'pending', job.needs ?? null],
    );
    const jobId = Number(inserted.rows[0]!.id);
    jobIds.push(jobId);
    if (job.log !== undefined) await appendLog(db, jobId, job.log);
  }
  return { id, jobIds, sha };
}

/** One more chunk of a job's log, as the recorder writes it. */
export async function appendLog(db: pg.Pool, jobId: number, content: string): Promise<void> {
  await db.query('INSERT INTO job_log_chunks (job_id, seq, content) SELECT $1, coalesce(max(seq) + 1, 0), $2 FROM job_log_chunks WHERE job_id = $1', [jobId, content]);
}
