import { createHash } from 'node:crypto';
import { header } from '../../http/read-body.js';
import type { Route } from '../../http/router.js';
import { tokensMatch } from '../../http/tokens-match.js';
import type { Dispatch } from '../../pipeline/dispatch-event.js';
import { webhookRoute } from '../webhook-route.js';
import { parseGitlabEvent } from './parse-gitlab-event.js';

export const GITLAB_WEBHOOK_PATH = '/webhooks/gitlab';

/** `POST /webhooks/gitlab`, checked against GITLAB_WEBHOOK_SECRET in `X-Gitlab-Token`. */
export function gitlabWebhookRoute(secret: string, dispatch: Dispatch): Route {
  return webhookRoute(
    {
      path: GITLAB_WEBHOOK_PATH,
      authenticateHeaders(request) {
        const token = header(request, 'x-gitlab-token');
        if (!token) return 'missing X-Gitlab-Token: set the secret token on the GitLab webhook';
        return tokensMatch(token, secret) ? undefined : 'X-Gitlab-Token does not match GITLAB_WEBHOOK_SECRET';
      },
      authenticate: () => undefined,
      identify(request, body) {
        const name = header(request, 'x-gitlab-event');
        if (!name) return 'missing X-Gitlab-Event header';
        // GitLab sends the same Idempotency-Key / event UUID on a retry; an old GitLab sends
        // neither, and then the body itself identifies the delivery.
        const deliveryId =
          header(request, 'idempotency-key') ?? header(request, 'x-gitlab-event-uuid') ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
        return { name, deliveryId };
      },
      parse: parseGitlabEvent,
    },
    dispatch,
  );
}
