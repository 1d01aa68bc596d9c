import { createHash } from 'node:crypto';
import { refuse } from '../../model/refusal.js';
import { tokensMatch } from '../../model/tokens-match.js';
import { header, type WebhookSource } from '../webhook-source.js';
import { parseGitlabEvent } from './parse-gitlab-event.js';

export const GITLAB_WEBHOOK_PATH = '/webhooks/gitlab';

/** `POST /webhooks/gitlab`, checked against GITLAB_WEBHOOK_SECRET in `X-Gitlab-Token` before the body is read. */
export function gitlabWebhookSource(secret: string): WebhookSource {
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
  };
}
