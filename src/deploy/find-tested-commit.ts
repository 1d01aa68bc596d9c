import type { Pool } from '../store/pool.js';

export interface TestedCommit {
  project: string;
  sha: string;
  pipelineId: number;
  imageRef: string;
  digest: string;
}

export type FindResult = { found: true; commit: TestedCommit } | { found: false; reason: string };

interface Row {
  id: number;
  project: string;
  sha: string;
  status: string;
  image_ref: string | null;
  image_digest: string | null;
}

/**
 * The commit a `/deploy` names: a full SHA or a unique prefix of at least 7, whose newest
 * pipeline passed and pushed an image. Anything else is refused with the reason.
 */
export async function findTestedCommit(pool: Pool, prefix: string, projects: string[]): Promise<FindResult> {
  if (!/^[0-9a-f]{7,40}$/.test(prefix)) {
    return { found: false, reason: `"${prefix}" is not a commit SHA: give at least 7 hex characters` };
  }
  const { rows } = await pool.query<Row>(
    `SELECT id, project, sha, status, image_ref, image_digest FROM pipelines
      WHERE sha LIKE $1 || '%' AND project = ANY($2) ORDER BY id DESC LIMIT 200`,
    [prefix, projects],
  );
  const commits = [...new Map(rows.map((row) => [`${row.project}@${row.sha}`, row])).values()];
  if (commits.length === 0) return { found: false, reason: `no pipeline has run for a commit starting with ${prefix}` };
  if (commits.length > 1) {
    const list = commits.slice(0, 5).map((row) => `\`${row.sha.slice(0, 12)}\` (${row.project}, pipeline #${row.id} ${row.status})`);
    return { found: false, reason: `${prefix} is ambiguous; it could be ${list.join(', ')}${commits.length > 5 ? ', …' : ''}: give more of the SHA` };
  }
  const { project, sha } = commits[0]!;
  const passed = rows.find((row) => row.sha === sha && row.status === 'passed' && row.image_digest && row.image_ref);
  if (passed) return { found: true, commit: { project, sha, pipelineId: passed.id, imageRef: passed.image_ref!, digest: passed.image_digest! } };
  const latest = rows.find((row) => row.sha === sha)!;
  const short = sha.slice(0, 12);
  if (latest.status === 'passed') return { found: false, reason: `pipeline #${latest.id} for ${short} passed but pushed no image, so there is nothing to deploy` };
  if (latest.status === 'queued' || latest.status === 'running') return { found: false, reason: `pipeline #${latest.id} for ${short} is still ${latest.status}: deploy it once it has passed` };
  return { found: false, reason: `pipeline #${latest.id} for ${short} ${latest.status === 'error' ? 'could not run' : latest.status}: only a commit whose pipeline passed can be deployed` };
}
