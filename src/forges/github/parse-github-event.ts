import { branchPush, parsePayload, ZERO_SHA, type ParsedWebhook } from '../parse-result.js';
import { PullRequestEventSchema, PushEventSchema } from './webhook-schema.js';

const RUN_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

/** Turns a verified GitHub delivery into a forge-neutral event, or says why it is ignored. */
export function parseGithubEvent(name: string, deliveryId: string, payload: unknown): ParsedWebhook {
  if (name === 'push') {
    const parsed = parsePayload(PushEventSchema, 'push payload', payload);
    if (!parsed.ok) return parsed.answer;
    const push = parsed.data;
    const installationId = push.installation?.id;
    const parsedPush = branchPush({
      // `diffBase`: what rules:changes compares with (the commit before the push; none for a new branch).
      target: {
        forge: 'github',
        project: push.repository.full_name,
        apiContext: { ...(installationId === undefined ? {} : { installationId }), ...(push.before && !ZERO_SHA.test(push.before) ? { diffBase: push.before } : {}) },
      },
      deliveryId,
      ref: push.ref,
      sha: push.after,
      defaultBranch: push.repository.default_branch,
      deleted: push.deleted ?? false,
    });
    // Only an App's deliveries carry an installation, and only through it can Slipway report back.
    if (parsedPush.kind === 'event' && installationId === undefined) return { kind: 'invalid', reason: 'push payload has no installation: is this a GitHub App webhook?' };
    return parsedPush;
  }
  if (name === 'pull_request') {
    const parsed = parsePayload(PullRequestEventSchema, 'pull_request payload', payload);
    if (!parsed.ok) return parsed.answer;
    const pr = parsed.data;
    const action = RUN_ACTIONS.has(pr.action) ? 'run' : pr.action === 'closed' ? 'cancel' : undefined;
    if (!action) return { kind: 'ignored', reason: `pull_request action "${pr.action}" needs no pipeline` };
    if (!pr.installation) return { kind: 'invalid', reason: 'pull_request payload has no installation: is this a GitHub App webhook?' };
    return {
      kind: 'event',
      event: {
        target: { forge: 'github', project: pr.repository.full_name, apiContext: { installationId: pr.installation.id, diffBase: pr.pull_request.base.ref } },
        deliveryId,
        event: `pull_request.${pr.action}`,
        action,
        sha: pr.pull_request.head.sha,
        ref: pr.pull_request.head.ref,
        defaultBranch: pr.repository.default_branch,
        changeRequest: pr.number,
        fromFork: pr.pull_request.head.repo?.full_name !== pr.pull_request.base.repo.full_name,
      },
    };
  }
  return { kind: 'ignored', reason: `event "${name}" is not one Slipway handles` };
}
