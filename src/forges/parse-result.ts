import type { z } from 'zod';
import type { ForgeCommand, ForgeEvent, ForgeTarget } from '../model/forge-event.js';

/** What a webhook body turned out to be: something to act on, something to ignore (and why), or garbage. */
export type ParsedWebhook =
  | { kind: 'event'; event: ForgeEvent }
  | { kind: 'command'; command: ForgeCommand }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string }
  /** The forge contradicts what the webhook claims: answered 403 and audited. */
  | { kind: 'refused'; reason: string };

/** The payload's fields Slipway needs, or the `invalid` answer naming what is wrong with `what`. */
export function parsePayload<T>(schema: z.ZodType<T>, what: string, payload: unknown): { ok: true; data: T } | { ok: false; answer: ParsedWebhook } {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, data: parsed.data };
  const problems = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || 'body'} ${issue.message}`)
    .join('; ');
  return { ok: false, answer: { kind: 'invalid', reason: `${what}: ${problems}` } };
}

export const ZERO_SHA = /^0{40}$/;

/**
 * A push as both forges describe it: a run of the branch head, unless it is a tag; a deleted
 * branch runs nothing but ends what it left running (its review apps), as a closed change request does.
 */
export function branchPush(push: { target: ForgeTarget; deliveryId: string; ref: string; sha: string | null; before: string | null; defaultBranch: string; deleted: boolean }): ParsedWebhook {
  if (!push.ref.startsWith('refs/heads/')) return { kind: 'ignored', reason: `push to ${push.ref} is not a branch` };
  if (push.deleted || push.sha === null || ZERO_SHA.test(push.sha)) {
    if (push.before === null || ZERO_SHA.test(push.before)) return { kind: 'ignored', reason: 'the push deleted a branch that had no commit' };
    return {
      kind: 'event',
      event: {
        target: push.target,
        deliveryId: push.deliveryId,
        event: 'push.deleted',
        action: 'cancel',
        sha: push.before,
        ref: push.ref.slice('refs/heads/'.length),
        defaultBranch: push.defaultBranch,
        changeRequest: null,
        fromFork: false,
        diffBase: null,
      },
    };
  }
  return {
    kind: 'event',
    event: {
      target: push.target,
      deliveryId: push.deliveryId,
      event: 'push',
      action: 'run',
      sha: push.sha,
      ref: push.ref.slice('refs/heads/'.length),
      defaultBranch: push.defaultBranch,
      changeRequest: null,
      fromFork: false,
      // What rules:changes compares with: the commit before the push; none for a new branch.
      diffBase: push.before === null || ZERO_SHA.test(push.before) ? null : push.before,
    },
  };
}

/**
 * `/slipway retry`, `/slipway cancel` or `/slipway play <job>` at the start of a comment; anything
 * else after `/slipway` asks for help. A job name runs to the end of its line (GitLab's may hold spaces).
 */
export function commentCommand(body: string): Pick<ForgeCommand, 'action' | 'job'> | undefined {
  const match = /^\s*\/slipway(?:[ \t]+(\S+))?(?:[ \t]+([^\r\n]*))?/.exec(body);
  if (!match) return undefined;
  const word = match[1]?.toLowerCase();
  const job = match[2]?.trim();
  if (word === 'play') return job ? { action: 'play', job } : { action: 'help' };
  return word === 'retry' || word === 'cancel' ? { action: word } : { action: 'help' };
}

/** A merge/pull request comment: a command when it starts with `/slipway`, ignored otherwise. */
export function commentOn(comment: { target: ForgeTarget; deliveryId: string; body: string; by: ForgeCommand['by']; changeRequest: number; commentId?: number }): ParsedWebhook {
  const asked = commentCommand(comment.body);
  if (!asked) return { kind: 'ignored', reason: 'the comment is not a /slipway command' };
  return {
    kind: 'command',
    command: { target: comment.target, deliveryId: comment.deliveryId, ...asked, by: comment.by, changeRequest: comment.changeRequest, sha: null, via: 'comment', ...(comment.commentId === undefined ? {} : { commentId: comment.commentId }) },
  };
}
