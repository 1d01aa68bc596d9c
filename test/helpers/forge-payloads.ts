import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { addNote, deleteBranch, gitlabProject, setBranchHead, setMergeRequest } from './gitlab-world.js';

type ExampleGroup = { name: string; examples: Array<Record<string, any>> };
// The package is a JSON file; require reads it on Node 20 and 22 alike.
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as ExampleGroup[];

const fixture = (name: string) => JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../fixtures/gitlab', name), 'utf8'));

const MR_STATES: Record<string, string> = { close: 'closed', merge: 'merged' };

/**
 * GitLab's documented Merge Request Hook, pointed at one project, MR and commit; the stand-in
 * GitLab learns the merge request as the hook describes it (a fork's source is `<fork>/<name>`).
 */
export function gitlabMergeRequest(options: { project: string; sha: string; iid?: number; action?: string; oldrev?: string; fromFork?: boolean | string; sourceBranch?: string }) {
  const hook = fixture('merge-request-hook.json');
  const project = gitlabProject(options.project);
  const fork = options.fromFork ? gitlabProject(`${typeof options.fromFork === 'string' ? options.fromFork : 'forker'}/${options.project.split('/').pop()}`) : project;
  hook.project.path_with_namespace = options.project;
  hook.project.id = project.id;
  hook.project.default_branch = project.default_branch;
  hook.object_attributes.iid = options.iid ?? 1;
  hook.object_attributes.action = options.action ?? 'open';
  hook.object_attributes.last_commit.id = options.sha;
  hook.object_attributes.target_project_id = project.id;
  hook.object_attributes.source_project_id = fork.id;
  if (options.sourceBranch) hook.object_attributes.source_branch = options.sourceBranch;
  if (options.oldrev) hook.object_attributes.oldrev = options.oldrev;
  const attributes = hook.object_attributes;
  setMergeRequest(project.id, {
    iid: attributes.iid,
    sha: options.sha,
    state: MR_STATES[attributes.action] ?? 'opened',
    source_branch: attributes.source_branch,
    target_branch: attributes.target_branch,
    source_project_id: fork.id,
    target_project_id: project.id,
  });
  return hook;
}

/** GitLab's Push Hook for a deleted branch whose last commit was `before`; the stand-in no longer has the branch. */
export function gitlabBranchDeletion(options: { project: string; before: string; ref: string }) {
  const hook = gitlabPush({ project: options.project, sha: options.before, ref: options.ref });
  hook.before = options.before;
  hook.after = '0'.repeat(40);
  hook.checkout_sha = null;
  deleteBranch(gitlabProject(options.project).id, options.ref);
  return hook;
}

/** GitLab's documented Push Hook, for one project, branch and commit; the branch now points there on the stand-in. */
export function gitlabPush(options: { project: string; sha: string; ref?: string }) {
  const hook = fixture('push-hook.json');
  const project = gitlabProject(options.project);
  hook.project.path_with_namespace = options.project;
  hook.project.id = hook.project_id = project.id;
  hook.project.default_branch = project.default_branch;
  hook.after = hook.checkout_sha = options.sha;
  hook.ref = `refs/heads/${options.ref ?? 'master'}`;
  setBranchHead(project.id, options.ref ?? 'master', options.sha);
  return hook;
}

function example(name: string, action?: string) {
  const group = examples.find((candidate) => candidate.name === name)!;
  const found = group.examples.find((candidate) => (action === undefined ? true : candidate.action === action));
  return structuredClone(found)!;
}

/** A pull_request.opened payload from @octokit/webhooks-examples, as a GitHub App receives it. */
export function githubPullRequest(options: { repo: string; sha: string; number?: number; action?: string; fork?: string }) {
  const payload = example('pull_request', 'opened');
  payload.action = options.action ?? 'opened';
  payload.number = payload.pull_request.number = options.number ?? 2;
  payload.repository.full_name = options.repo;
  payload.pull_request.base.repo.full_name = options.repo;
  payload.pull_request.head.repo.full_name = options.fork ?? options.repo;
  payload.pull_request.head.sha = options.sha;
  payload.installation = { id: 1, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' };
  return payload;
}

/** A push to a branch, from @octokit/webhooks-examples. */
export function githubPush(options: { repo: string; sha: string; ref?: string }) {
  const payload = examples
    .find((candidate) => candidate.name === 'push')!
    .examples.find((candidate) => candidate.ref === 'refs/heads/master' && candidate.installation)!;
  const push = structuredClone(payload);
  push.repository.full_name = options.repo;
  push.after = options.sha;
  push.ref = `refs/heads/${options.ref ?? 'master'}`;
  return push;
}

/** GitLab's documented Note Hook for a comment on a merge request. */
export function gitlabNote(options: { project: string; projectId: number; iid: number; note: string; user: { id: number; username: string } }) {
  const hook = fixture('note-hook.json');
  gitlabProject(options.project, { id: options.projectId });
  hook.project.path_with_namespace = options.project;
  hook.project.id = hook.project_id = options.projectId;
  hook.object_attributes.id = addNote(options.note, options.user);
  hook.merge_request.iid = options.iid;
  hook.object_attributes.note = options.note;
  hook.user.id = options.user.id;
  hook.user.username = options.user.username;
  return hook;
}

/** An issue_comment.created on a pull request, from @octokit/webhooks-examples, as a GitHub App receives it. */
export function githubComment(options: { repo: string; number: number; body: string; user: { id: number; login: string } }) {
  const payload = example('issue_comment', 'created');
  payload.repository.full_name = options.repo;
  payload.issue.number = options.number;
  payload.issue.pull_request = { url: `https://api.github.com/repos/${options.repo}/pulls/${options.number}` };
  payload.comment.body = options.body;
  payload.comment.user = { ...payload.comment.user, id: options.user.id, login: options.user.login, type: 'User' };
  payload.installation = { id: 1, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' };
  return payload;
}

/** GitHub's "Re-run" of a check run or the whole suite, from @octokit/webhooks-examples. */
export function githubRerequest(name: 'check_run' | 'check_suite', options: { repo: string; sha: string; user: { id: number; login: string } }) {
  const payload = example(name, 'rerequested');
  payload.repository.full_name = options.repo;
  payload[name].head_sha = options.sha;
  payload.sender = { ...payload.sender, id: options.user.id, login: options.user.login };
  payload.installation = { id: 1, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' };
  return payload;
}
