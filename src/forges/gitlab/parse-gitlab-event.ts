import { branchPush, commentOn, parsePayload, ZERO_SHA, type ParsedWebhook } from '../parse-result.js';
import { MergeRequestHookSchema, NoteHookSchema, PushHookSchema } from './webhook-schema.js';

const RUN_ACTIONS = new Set(['open', 'reopen']);
const CANCEL_ACTIONS = new Set(['close', 'merge']);

/** Turns a verified GitLab hook into a forge-neutral event, or says why it is ignored. */
export function parseGitlabEvent(name: string, deliveryId: string, payload: unknown): ParsedWebhook {
  if (name === 'Push Hook') {
    const parsed = parsePayload(PushHookSchema, 'Push Hook body', payload);
    if (!parsed.ok) return parsed.answer;
    const push = parsed.data;
    return branchPush({
      target: { forge: 'gitlab', project: push.project.path_with_namespace, apiContext: { projectId: push.project.id } },
      deliveryId,
      before: push.before,
      ref: push.ref,
      sha: push.checkout_sha,
      defaultBranch: push.project.default_branch ?? 'main',
      deleted: ZERO_SHA.test(push.after),
    });
  }
  if (name === 'Merge Request Hook') {
    const parsed = parsePayload(MergeRequestHookSchema, 'Merge Request Hook body', payload);
    if (!parsed.ok) return parsed.answer;
    const { project, object_attributes: mr } = parsed.data;
    const action = mr.action ?? '';
    const run = RUN_ACTIONS.has(action) || (action === 'update' && mr.oldrev !== undefined);
    if (!run && !CANCEL_ACTIONS.has(action)) {
      return { kind: 'ignored', reason: `merge request action "${action || 'none'}" brings no new commits` };
    }
    return {
      kind: 'event',
      event: {
        target: { forge: 'gitlab', project: project.path_with_namespace, apiContext: { projectId: project.id } },
        deliveryId,
        event: `merge_request.${action}`,
        action: run ? 'run' : 'cancel',
        sha: mr.last_commit.id,
        ref: mr.source_branch,
        defaultBranch: project.default_branch ?? 'main',
        changeRequest: mr.iid,
        fromFork: mr.source_project_id !== mr.target_project_id,
        diffBase: mr.target_branch,
      },
    };
  }
  if (name === 'Note Hook') {
    const parsed = parsePayload(NoteHookSchema, 'Note Hook body', payload);
    if (!parsed.ok) return parsed.answer;
    const note = parsed.data;
    if (note.object_attributes.noteable_type !== 'MergeRequest' || !note.merge_request) return { kind: 'ignored', reason: 'the comment is not on a merge request' };
    return commentOn({
      target: { forge: 'gitlab', project: note.project.path_with_namespace, apiContext: { projectId: note.project.id } },
      deliveryId,
      body: note.object_attributes.note,
      by: { id: String(note.user.id), login: note.user.username },
      changeRequest: note.merge_request.iid,
      commentId: note.object_attributes.id,
    });
  }
  return { kind: 'ignored', reason: `event "${name}" is not one Slipway handles` };
}
