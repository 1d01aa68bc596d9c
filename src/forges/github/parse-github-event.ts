import { forkRef } from '../../model/ref-patterns.js';
import { branchPush, commentOn, parsePayload, type ParsedWebhook } from '../parse-result.js';
import { CheckEventSchema, IssueCommentEventSchema, PullRequestEventSchema, PushEventSchema } from './webhook-schema.js';

const RUN_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

type Parser = (deliveryId: string, payload: unknown, name: string) => ParsedWebhook;

function parsePush(deliveryId: string, payload: unknown): ParsedWebhook {
  const parsed = parsePayload(PushEventSchema, 'push payload', payload);
  if (!parsed.ok) return parsed.answer;
  const push = parsed.data;
  const installationId = push.installation?.id;
  const parsedPush = branchPush({
    target: { forge: 'github', project: push.repository.full_name, apiContext: installationId === undefined ? {} : { installationId } },
    deliveryId,
    before: push.before ?? null,
    ref: push.ref,
    sha: push.after,
    defaultBranch: push.repository.default_branch,
    deleted: push.deleted ?? false,
  });
  // Only an App's deliveries carry an installation, and only through it can Slipway report back.
  if (parsedPush.kind === 'event' && installationId === undefined) return { kind: 'invalid', reason: 'push payload has no installation: is this a GitHub App webhook?' };
  return parsedPush;
}

function parsePullRequest(deliveryId: string, payload: unknown): ParsedWebhook {
  const parsed = parsePayload(PullRequestEventSchema, 'pull_request payload', payload);
  if (!parsed.ok) return parsed.answer;
  const pr = parsed.data;
  const action = RUN_ACTIONS.has(pr.action) ? 'run' : pr.action === 'closed' ? 'cancel' : undefined;
  if (!action) return { kind: 'ignored', reason: `pull_request action "${pr.action}" needs no pipeline` };
  if (!pr.installation) return { kind: 'invalid', reason: 'pull_request payload has no installation: is this a GitHub App webhook?' };
  const head = pr.pull_request.head;
  const fromFork = head.repo?.full_name !== pr.pull_request.base.repo.full_name;
  // A fork's `main` is not the project's `main`: it is recorded as `owner:main`, as GitHub labels it.
  const forkOwner = head.repo?.full_name.split('/')[0] ?? 'deleted-fork';
  return {
    kind: 'event',
    event: {
      target: { forge: 'github', project: pr.repository.full_name, apiContext: { installationId: pr.installation.id } },
      deliveryId,
      event: `pull_request.${pr.action}`,
      action,
      sha: pr.pull_request.head.sha,
      ref: fromFork ? forkRef(forkOwner, head.ref) : head.ref,
      defaultBranch: pr.repository.default_branch,
      changeRequest: pr.number,
      fromFork,
      diffBase: pr.pull_request.base.ref,
    },
  };
}

function parseIssueComment(deliveryId: string, payload: unknown): ParsedWebhook {
  const parsed = parsePayload(IssueCommentEventSchema, 'issue_comment payload', payload);
  if (!parsed.ok) return parsed.answer;
  const comment = parsed.data;
  if (comment.action !== 'created') return { kind: 'ignored', reason: `issue_comment action "${comment.action}" is not a new comment` };
  if (!comment.issue.pull_request) return { kind: 'ignored', reason: 'the comment is on an issue, not a pull request' };
  if (comment.comment.user.type === 'Bot') return { kind: 'ignored', reason: 'comments by bots are not commands' };
  if (!comment.installation) return { kind: 'invalid', reason: 'issue_comment payload has no installation: is this a GitHub App webhook?' };
  return commentOn({
    target: { forge: 'github', project: comment.repository.full_name, apiContext: { installationId: comment.installation.id } },
    deliveryId,
    body: comment.comment.body,
    by: { id: String(comment.comment.user.id), login: comment.comment.user.login },
    changeRequest: comment.issue.number,
  });
}

/** A check's Re-run: `check_run` or `check_suite`, `rerequested`. */
function parseCheck(deliveryId: string, payload: unknown, name: string): ParsedWebhook {
  const parsed = parsePayload(CheckEventSchema, `${name} payload`, payload);
  if (!parsed.ok) return parsed.answer;
  const check = parsed.data;
  const sha = (name === 'check_run' ? check.check_run : check.check_suite)?.head_sha;
  if (check.action !== 'rerequested') return { kind: 'ignored', reason: `${name} action "${check.action}" asks for nothing` };
  if (!sha) return { kind: 'invalid', reason: `${name} payload: ${name}.head_sha is missing` };
  if (!check.installation) return { kind: 'invalid', reason: `${name} payload has no installation: is this a GitHub App webhook?` };
  return {
    kind: 'command',
    command: {
      target: { forge: 'github', project: check.repository.full_name, apiContext: { installationId: check.installation.id } },
      deliveryId,
      action: 'retry',
      by: { id: String(check.sender.id), login: check.sender.login },
      changeRequest: null,
      sha,
      via: 'checks',
    },
  };
}

const PARSERS: Record<string, Parser> = {
  push: parsePush,
  pull_request: parsePullRequest,
  issue_comment: parseIssueComment,
  check_run: parseCheck,
  check_suite: parseCheck,
};

/** Turns a verified GitHub delivery into a forge-neutral event, or says why it is ignored. */
export function parseGithubEvent(name: string, deliveryId: string, payload: unknown): ParsedWebhook {
  const parser = Object.hasOwn(PARSERS, name) ? PARSERS[name] : undefined;
  return parser ? parser(deliveryId, payload, name) : { kind: 'ignored', reason: `event "${name}" is not one Slipway handles` };
}
