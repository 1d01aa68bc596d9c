/**
 * What the GitLab stand-ins know: the projects, branch heads, merge requests and notes that the
 * hooks built by `forge-payloads.ts` describe. A helper that builds a hook records its facts here
 * first, as GitLab changes its state and then sends the hook; so a hook edited afterwards (a
 * forged project path, a different commit) disagrees with what GitLab answers.
 */
export interface WorldProject {
  id: number;
  path_with_namespace: string;
  default_branch: string;
  visibility: string;
  /** Protected branch names or wildcards, as set in the project's settings. */
  protected_branches?: string[];
}

export interface WorldMergeRequest {
  iid: number;
  sha: string;
  state: string;
  source_branch: string;
  target_branch: string;
  source_project_id: number;
  target_project_id: number;
}

const projects = new Map<number, WorldProject>();
const idsByPath = new Map<string, number>();
const branchHeads = new Map<string, string>();
const mergeRequests = new Map<string, WorldMergeRequest>();
const notes = new Map<number, { id: number; body: string; author: { id: number; username: string } }>();
const failing = new Set<number>();
let nextProjectId = 7_000;
let nextNoteId = 50_000;

/** The project's id on the stand-in GitLab, made on first use (`id` fixes it). */
export function gitlabProject(path: string, options: { id?: number; defaultBranch?: string; visibility?: string; protectedBranches?: string[] } = {}): WorldProject {
  const known = idsByPath.get(path);
  if (known !== undefined && (options.id === undefined || options.id === known)) {
    const project = projects.get(known)!;
    if (options.defaultBranch) project.default_branch = options.defaultBranch;
    if (options.protectedBranches) project.protected_branches = options.protectedBranches;
    return project;
  }
  const id = options.id ?? nextProjectId++;
  const project: WorldProject = { id, path_with_namespace: path, default_branch: options.defaultBranch ?? 'master', visibility: options.visibility ?? 'private', ...(options.protectedBranches ? { protected_branches: options.protectedBranches } : {}) };
  projects.set(id, project);
  idsByPath.set(path, id);
  return project;
}

export function setBranchHead(projectId: number, branch: string, sha: string): void {
  branchHeads.set(`${projectId}/${branch}`, sha);
}

export function deleteBranch(projectId: number, branch: string): void {
  branchHeads.delete(`${projectId}/${branch}`);
}

export function setMergeRequest(projectId: number, mr: WorldMergeRequest): void {
  mergeRequests.set(`${projectId}!${mr.iid}`, mr);
}

export function addNote(body: string, author: { id: number; username: string }): number {
  const id = nextNoteId++;
  notes.set(id, { id, body, author });
  return id;
}

/** GitLab answers 500 to every look-up of this project from now on. */
export function breakProject(projectId: number): void {
  failing.add(projectId);
}

/** GitLab's answer to the look-ups that verify a hook, or undefined for any other path. */
export function gitlabWorldAnswer(method: string, pathname: string): [number, unknown] | undefined {
  if (method !== 'GET') return undefined;
  const notFound: [number, unknown] = [404, { message: '404 Not found' }];
  const projectId = /^\/api\/v4\/projects\/(\d+)(?:\/|$)/.exec(pathname)?.[1];
  if (projectId !== undefined && failing.has(Number(projectId))) return [500, { message: '500 Internal Server Error' }];
  const project = /^\/api\/v4\/projects\/(\d+)$/.exec(pathname);
  if (project) {
    const found = projects.get(Number(project[1]));
    return found ? [200, found] : [404, { message: '404 Project Not Found' }];
  }
  const protectedBranches = /^\/api\/v4\/projects\/(\d+)\/protected_branches$/.exec(pathname);
  if (protectedBranches) {
    const found = projects.get(Number(protectedBranches[1]));
    return found ? [200, (found.protected_branches ?? []).map((name, index) => ({ id: index + 1, name }))] : [404, { message: '404 Project Not Found' }];
  }
  const branch = /^\/api\/v4\/projects\/(\d+)\/repository\/branches\/(.+)$/.exec(pathname);
  if (branch) {
    const head = branchHeads.get(`${branch[1]}/${decodeURIComponent(branch[2]!)}`);
    return head ? [200, { name: decodeURIComponent(branch[2]!), commit: { id: head } }] : [404, { message: '404 Branch Not Found' }];
  }
  const note = /^\/api\/v4\/projects\/(\d+)\/merge_requests\/(\d+)\/notes\/(\d+)$/.exec(pathname);
  if (note) {
    const found = notes.get(Number(note[3]));
    return found ? [200, found] : notFound;
  }
  const mr = /^\/api\/v4\/projects\/(\d+)\/merge_requests\/(\d+)$/.exec(pathname);
  if (mr) {
    const found = mergeRequests.get(`${mr[1]}!${mr[2]}`);
    return found ? [200, { ...found, project_id: found.target_project_id }] : notFound;
  }
  return undefined;
}

/**
 * Takes a genuine hook (from the corpus: real GitLab bodies) as what GitLab holds: its project,
 * its branch's head, its merge request. Only for hooks that GitLab itself sent.
 */
export function learnFromHook(event: string, body: string): void {
  const hook = JSON.parse(body) as Record<string, any>;
  const project = hook.project as { id?: number; path_with_namespace?: string; default_branch?: string } | undefined;
  if (typeof project?.id !== 'number' || typeof project.path_with_namespace !== 'string') return;
  if (!projects.has(project.id)) {
    projects.set(project.id, { id: project.id, path_with_namespace: project.path_with_namespace, default_branch: project.default_branch ?? 'main', visibility: 'private' });
    idsByPath.set(project.path_with_namespace, project.id);
  }
  if (event === 'Push Hook' && typeof hook.ref === 'string' && typeof hook.checkout_sha === 'string') setBranchHead(project.id, hook.ref.replace(/^refs\/heads\//, ''), hook.checkout_sha);
  const mr = hook.object_attributes as Record<string, any> | undefined;
  if (event === 'Merge Request Hook' && mr && typeof mr.iid === 'number') {
    const states: Record<string, string> = { close: 'closed', merge: 'merged' };
    // GitLab's own view: the merge request belongs to the hook's project; a different source is a fork.
    const fromFork = mr.source_project_id !== mr.target_project_id;
    const source = fromFork ? mr.source_project_id : project.id;
    if (fromFork && !projects.has(source)) projects.set(source, { id: source, path_with_namespace: `fork-${source}/project`, default_branch: 'main', visibility: 'private' });
    setMergeRequest(project.id, {
      iid: mr.iid,
      sha: mr.last_commit?.id,
      state: states[mr.action] ?? mr.state ?? 'opened',
      source_branch: mr.source_branch,
      target_branch: mr.target_branch,
      source_project_id: source,
      target_project_id: project.id,
    });
  }
}
