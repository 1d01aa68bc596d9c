import { refuse, type Checked } from '../model/refusal.js';
import type { TestedCommitStore } from '../store/tested-commit-store.js';

export interface TestedCommit {
  project: string;
  sha: string;
  pipelineId: number;
  imageRef: string;
  digest: string;
  /** The ref of that pipeline. */
  ref: string;
  /** Every passed pipeline of the commit that pushed an image, newest first (branch rules choose among them). */
  passed: Array<{ pipelineId: number; imageRef: string; digest: string; ref: string }>;
}

/**
 * The commit a `/deploy` names: a full SHA or a unique prefix of at least 7, whose newest
 * pipeline passed and pushed an image. Anything else is refused with the reason.
 */
export async function findTestedCommit(store: TestedCommitStore, prefix: string, projects: string[]): Promise<Checked<{ commit: TestedCommit }>> {
  if (!/^[0-9a-f]{7,40}$/.test(prefix)) return refuse(`"${prefix}" is not a commit SHA: give at least 7 hex characters`);
  const rows = await store.pipelinesOf(prefix, projects);
  const commits = [...new Map(rows.map((row) => [`${row.project}@${row.sha}`, row])).values()];
  if (commits.length === 0) return refuse(`no pipeline has run for a commit starting with ${prefix}`);
  if (commits.length > 1) {
    const list = commits.slice(0, 5).map((row) => `\`${row.sha.slice(0, 12)}\` (${row.project}, pipeline #${row.id} ${row.status})`);
    return refuse(`${prefix} is ambiguous; it could be ${list.join(', ')}${commits.length > 5 ? ', …' : ''}: give more of the SHA`);
  }
  const { project, sha } = commits[0]!;
  const passed = rows
    .filter((row) => row.sha === sha && row.status === 'passed' && row.digest && row.imageRef)
    .map((row) => ({ pipelineId: row.id, imageRef: row.imageRef!, digest: row.digest!, ref: row.ref }));
  if (passed[0]) return { ok: true, commit: { project, sha, ...passed[0], passed } };
  const latest = rows.find((row) => row.sha === sha)!;
  const short = sha.slice(0, 12);
  if (latest.status === 'passed') return refuse(`pipeline #${latest.id} for ${short} passed but pushed no image, so there is nothing to deploy`);
  if (latest.status === 'queued' || latest.status === 'running') return refuse(`pipeline #${latest.id} for ${short} is still ${latest.status}: deploy it once it has passed`);
  return refuse(`pipeline #${latest.id} for ${short} ${latest.status === 'error' ? 'could not run' : latest.status}: only a commit whose pipeline passed can be deployed`);
}
