import type { ForgeCommand, ForgeEvent } from '../../model/forge-event.js';
import { forkRef, PROTECTED_BRANCHES_KEY } from '../../model/ref-patterns.js';
import { commentCommand, type ParsedWebhook } from '../parse-result.js';
import type { GitlabFacts, GitlabProject } from './gitlab-facts.js';

const short = (sha: string) => sha.slice(0, 12);

/**
 * A hook's token says only that someone holding the secret sent it. What decides trust (which
 * project, which branch and commit, fork or not, the default branch, who wrote a comment) is
 * asked of GitLab with Slipway's own token, and the answer replaces the payload's claim. A
 * contradiction is `refused` (a forgery, or a broken proxy); a hook overtaken by newer events
 * (the branch moved on) is `ignored`, since the newer hook starts the pipeline that matters.
 */
export async function verifyGitlabHook(parsed: ParsedWebhook, facts: GitlabFacts): Promise<ParsedWebhook> {
  if (parsed.kind === 'event') return verifyEvent(parsed.event, facts);
  if (parsed.kind === 'command') return verifyCommand(parsed.command, facts);
  return parsed;
}

async function projectOf(claimed: string, id: number, facts: GitlabFacts): Promise<GitlabProject | { refused: string }> {
  const project = await facts.project(id);
  if (!project) return { refused: `GitLab has no project ${id} that Slipway's token can see, yet the hook names it (${claimed})` };
  if (project.path !== claimed) return { refused: `the hook names project ${claimed}, but GitLab's project ${id} is ${project.path}` };
  return project;
}

async function verifyEvent(event: ForgeEvent, facts: GitlabFacts): Promise<ParsedWebhook> {
  const id = Number(event.target.apiContext.projectId);
  const project = await projectOf(event.target.project, id, facts);
  if ('refused' in project) return { kind: 'refused', reason: project.refused };
  const target = { ...event.target, apiContext: { ...event.target.apiContext, ...(project.protectedBranches.length > 0 ? { [PROTECTED_BRANCHES_KEY]: project.protectedBranches.join('\n') } : {}) } };
  const verified = { ...event, target, defaultBranch: project.defaultBranch };
  if (event.changeRequest === null) {
    const head = await facts.branchHead(id, event.ref);
    // A deleted branch: only GitLab saying it is gone stops what it left running.
    if (event.action === 'cancel') return head === undefined ? { kind: 'event', event: verified } : { kind: 'ignored', reason: `branch ${event.ref} of ${project.path} still exists on GitLab` };
    if (head === undefined) return { kind: 'ignored', reason: `branch ${event.ref} of ${project.path} no longer exists on GitLab` };
    if (head !== event.sha) return { kind: 'ignored', reason: `branch ${event.ref} of ${project.path} points at ${short(head)} on GitLab, not ${short(event.sha)}: the newer push's pipeline runs instead` };
    return { kind: 'event', event: verified };
  }
  const mr = await facts.mergeRequest(id, event.changeRequest);
  if (!mr || mr.targetProjectId !== id) return { kind: 'refused', reason: `GitLab has no merge request !${event.changeRequest} in ${project.path}, yet the hook names it` };
  if (event.action === 'cancel') {
    if (mr.state === 'opened') return { kind: 'ignored', reason: `merge request !${event.changeRequest} of ${project.path} is still open on GitLab` };
    return { kind: 'event', event: verified };
  }
  if (mr.state !== 'opened') return { kind: 'ignored', reason: `merge request !${event.changeRequest} of ${project.path} is ${mr.state} on GitLab` };
  if (mr.sha !== event.sha) return { kind: 'ignored', reason: `merge request !${event.changeRequest} of ${project.path} is at ${short(mr.sha)} on GitLab, not ${short(event.sha)}: the newer update's pipeline runs instead` };
  const fromFork = mr.sourceProjectId !== mr.targetProjectId;
  const ref = fromFork ? forkRef(await forkOwner(mr.sourceProjectId, facts), mr.sourceBranch) : mr.sourceBranch;
  return {
    kind: 'event',
    event: { ...verified, ref, fromFork, diffBase: mr.targetBranch },
  };
}

/** The fork's namespace (`alice` of `alice/app`), or its id where Slipway's token cannot see it. */
async function forkOwner(projectId: number, facts: GitlabFacts): Promise<string> {
  const fork = await facts.project(projectId).catch(() => undefined);
  if (!fork) return `fork-${projectId}`;
  return fork.path.slice(0, fork.path.lastIndexOf('/')) || fork.path;
}

async function verifyCommand(command: ForgeCommand, facts: GitlabFacts): Promise<ParsedWebhook> {
  const id = Number(command.target.apiContext.projectId);
  const project = await projectOf(command.target.project, id, facts);
  if ('refused' in project) return { kind: 'refused', reason: project.refused };
  if (command.changeRequest === null || command.commentId === undefined) return { kind: 'refused', reason: 'the Note Hook names no note Slipway can read back from GitLab' };
  const note = await facts.note(id, command.changeRequest, command.commentId);
  if (!note) return { kind: 'refused', reason: `GitLab has no note ${command.commentId} on !${command.changeRequest} of ${project.path}, yet the hook names it` };
  if (String(note.authorId) !== command.by.id) return { kind: 'refused', reason: `the hook says user ${command.by.id} wrote note ${command.commentId}, but GitLab says user ${note.authorId} did` };
  // What the note says on GitLab is the command, whatever the hook's copy says.
  const asked = commentCommand(note.body);
  if (!asked) return { kind: 'ignored', reason: 'the note on GitLab is not a /slipway command' };
  const { job: _hooksJob, ...rest } = command;
  return { kind: 'command', command: { ...rest, ...asked } };
}
