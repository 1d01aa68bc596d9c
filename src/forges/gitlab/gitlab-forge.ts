import { connectGitlab } from './gitlab-api.js';
import { archiveTurns } from './archive-turns.js';
import { abortable } from '../../util/within-time.js';
import { extractArchive } from '../extract-archive.js';
import type { ForgeTarget } from '../../model/forge-event.js';
import { limitedText, type Forge } from '../forge.js';

export interface GitlabForgeOptions {
  url: string;
  token: string;
  /** Waits for a project's turn to download an archive; GitLab's own limit by default. */
  archiveTurn?: (projectId: number) => Promise<unknown>;
}

const isNotFound = (error: unknown) =>
  typeof error === 'object' && error !== null && 'cause' in error && (error.cause as { response?: { status?: number } } | undefined)?.response?.status === 404;

/** Waits for `promise` until `signal` aborts; gitbeaker cannot be handed the signal itself. */
const untilAborted = <T>(promise: Promise<T>, signal: AbortSignal | undefined) => (signal ? abortable(promise, signal) : promise);

const projectIdOf = (target: ForgeTarget) => Number(target.apiContext.projectId);

/**
 * GitLab (gitlab.com or self-hosted) through gitbeaker, which retries 429 and 502 itself; a
 * report that still fails is tried again later by the reporter, the one retry layer above it.
 */
export function createGitlabForge(options: GitlabForgeOptions): Forge {
  const api = connectGitlab(options.url, options.token);
  // Archives take turns per project (archiveTurns), not in gitbeaker's one queue for all projects.
  const archives = connectGitlab(options.url, options.token, { perProjectArchiveTurns: true });
  const archiveTurn = options.archiveTurn ?? archiveTurns();
  return {
    name: 'gitlab',
    maxCommentLength: 1_000_000,

    async fetchSource(target, sha, destDir, limits, signal) {
      await untilAborted(archiveTurn(projectIdOf(target)), signal);
      const archive = await untilAborted(archives.Repositories.showArchive(projectIdOf(target), { sha, fileType: 'tar.gz' }), signal);
      return extractArchive(Buffer.from(await archive.arrayBuffer()), destDir, limits);
    },

    async setCommitStatus(target, sha, status) {
      await api.Commits.editStatus(projectIdOf(target), sha, status.state, {
        name: 'slipway',
        targetUrl: status.targetUrl,
        description: status.description.slice(0, 255),
      });
    },

    async accessOf(target, user) {
      const projectId = projectIdOf(target);
      const project = await api.Projects.show(projectId);
      const member = await api.ProjectMembers.show(projectId, Number(user.id), { includeInherited: true }).catch((error: unknown) =>
        isNotFound(error) ? undefined : Promise.reject(error),
      );
      const level = Number(member?.access_level ?? 0);
      // Developers may retry and cancel pipelines; Reporters may read a private project's.
      if (level >= 30) return 'write';
      return level >= 20 || project.visibility !== 'private' ? 'read' : 'none';
    },

    async upsertComment(target, changeRequest, marker, body) {
      const projectId = projectIdOf(target);
      const notes = await api.MergeRequestNotes.all(projectId, changeRequest, { perPage: 100 });
      const mine = notes.find((note) => typeof note.body === 'string' && note.body.includes(marker));
      if (mine && mine.body === body) return;
      if (mine) await api.MergeRequestNotes.edit(projectId, changeRequest, mine.id, { body });
      else await api.MergeRequestNotes.create(projectId, changeRequest, body);
    },

    async changedFiles(target, base, head, signal) {
      // Not `straight`: from the merge base, as a merge request's diff is.
      const compared = await untilAborted(api.Repositories.compare(projectIdOf(target), base, head, { straight: false }), signal);
      return [...new Set((compared.diffs ?? []).flatMap((diff) => [diff.new_path, diff.old_path]))];
    },

    async commitOf(target, sha) {
      const commit = await api.Commits.show(projectIdOf(target), sha, { stats: false });
      return { title: String(commit.title ?? ''), author: String(commit.author_name ?? 'unknown') };
    },

    async readProjectFile(_target, project, ref, file, signal) {
      const found = await untilAborted(api.Projects.show(project), signal);
      const raw = await untilAborted(api.RepositoryFiles.showRaw(project, file, ref ?? String(found.default_branch)), signal);
      const text = typeof raw === 'string' ? raw : await raw.text();
      return { text: limitedText(text, project, file), isPublic: found.visibility === 'public' };
    },

    async reportDeployment(target, report) {
      const projectId = projectIdOf(target);
      const state = { in_progress: 'running', success: 'success', failure: 'failed', inactive: 'canceled' } as const;
      // The status links to the environment itself once it has one, else to the pipeline.
      const targetUrl = report.environmentUrl ?? report.logUrl;
      await api.Commits.editStatus(projectId, report.sha, state[report.state], {
        name: `slipway/deploy/${report.environment}`,
        description: report.description.slice(0, 255),
        ...(targetUrl ? { targetUrl } : {}),
      });
      if (report.changeRequest !== null && report.state !== 'in_progress') {
        await api.MergeRequestNotes.create(projectId, report.changeRequest!, report.description);
      }
    },
  };
}
