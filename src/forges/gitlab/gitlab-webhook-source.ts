import { createHash } from 'node:crypto';
import { refuse } from '../../model/refusal.js';
import { tokensMatch } from '../../model/tokens-match.js';
import { header, type WebhookSource } from '../webhook-source.js';
import { withinTime } from '../../model/within-time.js';
import type { GitlabFacts } from './gitlab-facts.js';
import { parseGitlabEvent } from './parse-gitlab-event.js';
import { verifyGitlabHook } from './verify-gitlab-hook.js';

export const GITLAB_WEBHOOK_PATH = '/webhooks/gitlab';

/** GitLab waits 10 s for an answer; verification must leave time to record the event. */
const VERIFY_WITHIN_MS = 6_000;

/**
 * `POST /webhooks/gitlab`, checked against GITLAB_WEBHOOK_SECRET in `X-Gitlab-Token` before the
 * body is read, then verified with GitLab's API: the token proves only who configured the hook.
 */
export function gitlabWebhookSource(secret: string, facts: GitlabFacts): WebhookSource {
  return {
    path: GITLAB_WEBHOOK_PATH,
    authenticateHeaders(request) {
      const token = header(request, 'x-gitlab-token');
      if (!token) return refuse('missing X-Gitlab-Token: set the secret token on the GitLab webhook');
      return tokensMatch(token, secret) ? undefined : refuse('X-Gitlab-Token does not match GITLAB_WEBHOOK_SECRET');
    },
    authenticate: () => undefined,
    identify(request, body) {
      const name = header(request, 'x-gitlab-event');
      if (!name) return refuse('missing X-Gitlab-Event header');
      // GitLab sends the same Idempotency-Key / event UUID on a retry; an old GitLab sends
      // neither, and then the body itself identifies the delivery.
      const deliveryId = header(request, 'idempotency-key') ?? header(request, 'x-gitlab-event-uuid') ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
      return { name, deliveryId };
    },
    parse: parseGitlabEvent,
    verify: (parsed) => withinTime(verifyGitlabHook(parsed, facts), VERIFY_WITHIN_MS, () => new Error(`GitLab did not answer within ${VERIFY_WITHIN_MS / 1000} s`)),
  };
}
