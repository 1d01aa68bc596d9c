import type { Probot } from 'probot';
import { extractArchive } from '../extract-archive.js';
import type { CheckReport, CommitStatus, DeploymentReport, ForgeTarget } from '../../model/forge-event.js';
import { limitedText, type Forge } from '../forge.js';

type CheckFields = { status: 'queued' | 'in_progress' | 'completed'; conclusion?: 'success' | 'failure' | 'cancelled' | 'skipped' | 'neutral' };

function checkState(state: CheckReport['state']): CheckFields {
  if (state === 'pending') return { status: 'queued' };
  if (state === 'running') return { status: 'in_progress' };
  // A job that waits for a person has not run, and fails nothing: GitHub's grey "neutral".
  const conclusion = ({ success: 'success', failed: 'failure', canceled: 'cancelled', skipped: 'skipped', waiting: 'neutral' } as const)[state];
  return { status: 'completed', conclusion };
}

/** Octokit takes an abort signal as a request option. */
const withSignal = (signal: AbortSignal | undefined) => (signal ? { request: { signal } } : {});

const statusOf = (error: unknown) => (typeof error === 'object' && error !== null && 'status' in error ? error.status : undefined);

function repoOf(target: ForgeTarget): { owner: string; repo: string } {
  const [owner = '', repo = ''] = target.project.split('/');
  return { owner, repo };
}

type Octokit = Awaited<ReturnType<Probot['auth']>>;

/**
 * Check runs, not plain statuses: one for the pipeline and one per job, each with a summary,
 * found again by name and pipeline id (`external_id`) and updated only when they changed. A
 * retried pipeline's runs take the same names, so GitHub shows the newest.
 */
async function setCheckRuns(octokit: Octokit, target: ForgeTarget, sha: string, status: CommitStatus): Promise<void> {
  const repo = repoOf(target);
  const externalId = String(status.checks.pipelineId);
  const existing = await octokit.paginate(octokit.rest.checks.listForRef, { ...repo, ref: sha, filter: 'all', per_page: 100 });
  for (const check of [status.checks.pipeline, ...status.checks.jobs]) {
    const fields = {
      ...checkState(check.state),
      details_url: status.targetUrl,
      output: { title: check.title.slice(0, 255), summary: check.summary.slice(0, 65_000) },
    };
    const found = existing.find((run) => run.name === check.name && run.external_id === externalId);
    if (!found) {
      await octokit.rest.checks.create({ ...repo, head_sha: sha, name: check.name, external_id: externalId, ...fields });
    } else if (found.status !== fields.status || (found.conclusion ?? undefined) !== fields.conclusion || found.output.title !== fields.output.title || found.output.summary !== fields.output.summary) {
      await octokit.rest.checks.update({ ...repo, check_run_id: found.id, ...fields });
    }
  }
}

/** One GitHub deployment per commit and environment, found again for each later status. */
async function reportGithubDeployment(octokit: Octokit, target: ForgeTarget, report: DeploymentReport): Promise<void> {
  const repo = repoOf(target);
  const existing = await octokit.rest.repos.listDeployments({ ...repo, sha: report.sha, environment: report.environment, per_page: 1 });
  let deploymentId = existing.data[0]?.id;
  if (deploymentId === undefined) {
    const created = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: report.sha,
      environment: report.environment,
      auto_merge: false,
      required_contexts: [],
      description: report.description.slice(0, 140),
    });
    // 202 means GitHub merged the default branch first instead of deploying: never asked for here.
    if (!('id' in created.data)) throw new Error(`GitHub did not create the deployment: ${created.data.message ?? created.status}`);
    deploymentId = created.data.id;
  }
  await octokit.rest.repos.createDeploymentStatus({
    ...repo,
    deployment_id: deploymentId,
    state: report.state,
    description: report.description.slice(0, 140),
    ...(report.environmentUrl ? { environment_url: report.environmentUrl } : {}),
    ...(report.logUrl ? { log_url: report.logUrl } : {}),
  });
}

/** GitHub through probot's installation-authenticated Octokit (which retries 5xx and rate limits itself). */
export function createGithubForge(probot: Probot): Forge {
  const octokitFor = (target: ForgeTarget) => probot.auth(Number(target.apiContext.installationId));
  return {
    name: 'github',
    maxCommentLength: 65_536,

    async fetchSource(target, sha, destDir, limits, signal) {
      const octokit = await octokitFor(target);
      const response = await octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', { ...repoOf(target), ref: sha, ...withSignal(signal) });
      return extractArchive(Buffer.from(response.data as ArrayBuffer), destDir, limits);
    },

    async setCommitStatus(target, sha, status) {
      await setCheckRuns(await octokitFor(target), target, sha, status);
    },

    async upsertComment(target, changeRequest, marker, body) {
      const octokit = await octokitFor(target);
      const where = { ...repoOf(target), issue_number: changeRequest };
      for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, { ...where, per_page: 100 })) {
        const mine = page.data.find((comment) => comment.body?.includes(marker));
        if (!mine) continue;
        if (mine.body !== body) await octokit.rest.issues.updateComment({ ...repoOf(target), comment_id: mine.id, body });
        return;
      }
      await octokit.rest.issues.createComment({ ...where, body });
    },

    async changedFiles(target, base, head, signal) {
      const octokit = await octokitFor(target);
      const files = new Set<string>();
      // GitHub lists at most 300 files per page and 3000 in all.
      for (let page = 1; page <= 30; page += 1) {
        const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repoOf(target), basehead: `${base}...${head}`, per_page: 100, page, ...withSignal(signal) });
        for (const file of data.files ?? []) {
          files.add(file.filename);
          if (file.previous_filename) files.add(file.previous_filename);
        }
        if ((data.files?.length ?? 0) < 100) break;
      }
      return [...files];
    },

    async readProjectFile(target, project, ref, file, signal) {
      const octokit = await octokitFor(target);
      const [owner = '', repo = ''] = project.split('/');
      const { data: repository } = await octokit.rest.repos.get({ owner, repo, ...withSignal(signal) });
      const response = await octokit.rest.repos.getContent({ owner, repo, path: file, ref: ref ?? repository.default_branch, mediaType: { format: 'raw' }, ...withSignal(signal) });
      const text = typeof response.data === 'string' ? response.data : Buffer.from(response.data as unknown as ArrayBuffer).toString('utf8');
      return { text: limitedText(text, project, file), isPublic: !repository.private };
    },

    async accessOf(target, user) {
      const octokit = await octokitFor(target);
      const repo = repoOf(target);
      const { data: repository } = await octokit.rest.repos.get(repo);
      const level = await octokit.rest.repos
        .getCollaboratorPermissionLevel({ ...repo, username: user.login })
        .then(({ data }) => data.permission, (error: unknown) => (statusOf(error) === 404 ? 'none' : Promise.reject(error)));
      if (level === 'admin' || level === 'write') return 'write';
      return level === 'read' || !repository.private ? 'read' : 'none';
    },

    async commitOf(target, sha) {
      const octokit = await octokitFor(target);
      const { data } = await octokit.rest.repos.getCommit({ ...repoOf(target), ref: sha, per_page: 1 });
      return { title: data.commit.message.split('\n')[0] ?? '', author: data.author?.login ?? data.commit.author?.name ?? 'unknown' };
    },

    async reportDeployment(target, report) {
      await reportGithubDeployment(await octokitFor(target), target, report);
    },
  };
}
