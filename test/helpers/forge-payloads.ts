import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

type ExampleGroup = { name: string; examples: Array<Record<string, any>> };
// The package is a JSON file; require reads it on Node 20 and 22 alike.
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as ExampleGroup[];

const fixture = (name: string) => JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../fixtures/gitlab', name), 'utf8'));

/** GitLab's documented Merge Request Hook, pointed at one project, MR and commit. */
export function gitlabMergeRequest(options: { project: string; sha: string; iid?: number; action?: string; oldrev?: string; fromFork?: boolean }) {
  const hook = fixture('merge-request-hook.json');
  hook.project.path_with_namespace = options.project;
  hook.object_attributes.iid = options.iid ?? 1;
  hook.object_attributes.action = options.action ?? 'open';
  hook.object_attributes.last_commit.id = options.sha;
  hook.object_attributes.target_project_id = hook.object_attributes.source_project_id = 14;
  if (options.fromFork) hook.object_attributes.source_project_id = 99;
  if (options.oldrev) hook.object_attributes.oldrev = options.oldrev;
  return hook;
}

/** GitLab's documented Push Hook, for one project, branch and commit. */
export function gitlabPush(options: { project: string; sha: string; ref?: string }) {
  const hook = fixture('push-hook.json');
  hook.project.path_with_namespace = options.project;
  hook.after = hook.checkout_sha = options.sha;
  hook.ref = `refs/heads/${options.ref ?? 'master'}`;
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
