import type { Gitlab } from '@gitbeaker/rest';

/** What GitLab itself says about a project: the facts a webhook's payload only claims. */
export interface GitlabProject {
  id: number;
  path: string;
  defaultBranch: string;
  visibility: string;
  /** Its protected branches' names and wildcards, as set on GitLab: their pipelines get protected variables. */
  protectedBranches: string[];
}

export interface GitlabMergeRequest {
  sha: string;
  state: string;
  sourceBranch: string;
  targetBranch: string;
  sourceProjectId: number;
  targetProjectId: number;
}

export interface GitlabNote {
  authorId: number;
  body: string;
}

/** The look-ups that verify a hook, asked with Slipway's own token; `undefined` where GitLab has no such thing. */
export interface GitlabFacts {
  project(id: number): Promise<GitlabProject | undefined>;
  branchHead(projectId: number, branch: string): Promise<string | undefined>;
  mergeRequest(projectId: number, iid: number): Promise<GitlabMergeRequest | undefined>;
  note(projectId: number, iid: number, noteId: number): Promise<GitlabNote | undefined>;
}

const isNotFound = (error: unknown) =>
  typeof error === 'object' && error !== null && 'cause' in error && (error.cause as { response?: { status?: number } } | undefined)?.response?.status === 404;

const orMissing = <T>(promise: Promise<T>): Promise<T | undefined> => promise.catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));

/**
 * GitLab's answers through gitbeaker. A project's path and default branch change rarely and are
 * asked for on every hook, so they are kept for `cacheMs`: one call per project a minute, not per
 * hook. What a hook is about (a branch's head, a merge request, a note) is asked each time.
 */
export function gitlabFacts(api: InstanceType<typeof Gitlab>, options: { cacheMs?: number; now?: () => number } = {}): GitlabFacts {
  const cacheMs = options.cacheMs ?? 60_000;
  const now = options.now ?? Date.now;
  const projects = new Map<number, { at: number; project: Promise<GitlabProject | undefined> }>();
  return {
    project(id) {
      const cached = projects.get(id);
      if (cached && now() - cached.at < cacheMs) return cached.project;
      const project = orMissing(api.Projects.show(id)).then(async (found) => {
        if (found === undefined) return undefined;
        const protectedBranches = (await api.ProtectedBranches.all(id, { perPage: 100 })).map((branch) => String(branch.name));
        return { id: Number(found.id), path: String(found.path_with_namespace), defaultBranch: String(found.default_branch ?? 'main'), visibility: String(found.visibility ?? 'private'), protectedBranches };
      });
      projects.set(id, { at: now(), project });
      // A failed look-up is not kept: the next hook asks again.
      project.catch(() => projects.delete(id));
      if (projects.size > 10_000) projects.delete(projects.keys().next().value!);
      return project;
    },
    async branchHead(projectId, branch) {
      const found = await orMissing(api.Branches.show(projectId, branch));
      return found === undefined ? undefined : String((found.commit as { id?: unknown } | undefined)?.id ?? '');
    },
    async mergeRequest(projectId, iid) {
      const found = await orMissing(api.MergeRequests.show(projectId, iid));
      if (found === undefined) return undefined;
      return {
        sha: String(found.sha ?? ''),
        state: String(found.state),
        sourceBranch: String(found.source_branch),
        targetBranch: String(found.target_branch),
        sourceProjectId: Number(found.source_project_id),
        targetProjectId: Number(found.target_project_id),
      };
    },
    async note(projectId, iid, noteId) {
      const found = await orMissing(api.MergeRequestNotes.show(projectId, iid, noteId));
      return found === undefined ? undefined : { authorId: Number((found.author as { id?: unknown }).id), body: String(found.body) };
    },
  };
}
