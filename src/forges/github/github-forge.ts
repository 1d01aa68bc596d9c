import type { Probot } from 'probot';
import { extractArchive } from '../extract-archive.js';
import type { CommitState, ForgeTarget } from '../../model/forge-event.js';
import { limitedText, type Forge } from '../forge.js';

const STATE: Record<CommitState, 'pending' | 'success' | 'failure' | 'error'> = {
  pending: 'pending',
  running: 'pending',
  success: 'success',
  failed: 'failure',
  canceled: 'error',
};

const statusOf = (error: unknown) => (typeof error === 'object' && error !== null && 'status' in error ? error.status : undefined);

function repoOf(target: ForgeTarget): { owner: string; repo: string } {
  const [owner = '', repo = ''] = target.project.split('/');
  return { owner, repo };
}

/** GitHub through probot's installation-authenticated Octokit (which retries 5xx and rate limits itself). */
export function createGithubForge(probot: Probot): Forge {
  const octokitFor = (target: ForgeTarget) => probot.auth(Number(target.apiContext.installationId));
  return {
    name: 'github',
    maxCommentLength: 65_536,

    async fetchSource(target, sha, destDir, limits) {
      const octokit = await octokitFor(target);
      const response = await octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', { ...repoOf(target), ref: sha });
      return extractArchive(Buffer.from(response.data as ArrayBuffer), destDir, limits);
    },

    async setCommitStatus(target, sha, status) {
      const octokit = await octokitFor(target);
      await octokit.rest.repos.createCommitStatus({
        ...repoOf(target),
        sha,
        state: STATE[status.state],
        context: 'slipway',
        description: status.description.slice(0, 140),
        target_url: status.targetUrl,
      });
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

    async changedFiles(target, base, head) {
      const octokit = await octokitFor(target);
      const files = new Set<string>();
      // GitHub lists at most 300 files per page and 3000 in all.
      for (let page = 1; page <= 30; page += 1) {
        const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repoOf(target), basehead: `${base}...${head}`, per_page: 100, page });
        for (const file of data.files ?? []) {
          files.add(file.filename);
          if (file.previous_filename) files.add(file.previous_filename);
        }
        if ((data.files?.length ?? 0) < 100) break;
      }
      return [...files];
    },

    async readProjectFile(target, project, ref, file) {
      const octokit = await octokitFor(target);
      const [owner = '', repo = ''] = project.split('/');
      const { data: repository } = await octokit.rest.repos.get({ owner, repo });
      const response = await octokit.rest.repos.getContent({ owner, repo, path: file, ref: ref ?? repository.default_branch, mediaType: { format: 'raw' } });
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

    async reportDeployment(target, report) {
      const octokit = await octokitFor(target);
      const repo = repoOf(target);
      // One GitHub deployment per commit and environment, found again for each later status.
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
      await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: deploymentId, state: report.state, description: report.description.slice(0, 140) });
    },
  };
}
