import { createHash, timingSafeEqual } from 'node:crypto';
import { header, readBody } from '../../http/read-body.js';
import { sendError } from '../../http/respond.js';
import type { Route } from '../../http/router.js';
import type { Dispatch } from '../../pipeline/dispatch-event.js';
import { answerWebhook, parseJson } from '../answer-webhook.js';
import { parseGitlabEvent } from './parse-gitlab-event.js';

export const GITLAB_WEBHOOK_PATH = '/webhooks/gitlab';

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function tokensMatch(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** `POST /webhooks/gitlab`, checked against GITLAB_WEBHOOK_SECRET in `X-Gitlab-Token`. */
export function gitlabWebhookRoute(secret: string, dispatch: Dispatch): Route {
  return {
    method: 'POST',
    path: GITLAB_WEBHOOK_PATH,
    async handle(request, response) {
      const body = await readBody(request);
      const token = header(request, 'x-gitlab-token');
      if (!token) return sendError(response, 401, 'missing X-Gitlab-Token: set the secret token on the GitLab webhook');
      if (!tokensMatch(token, secret)) return sendError(response, 401, 'X-Gitlab-Token does not match GITLAB_WEBHOOK_SECRET');
      const name = header(request, 'x-gitlab-event');
      if (!name) return sendError(response, 400, 'missing X-Gitlab-Event header');
      const json = parseJson(body);
      if (!json.ok) return sendError(response, 400, 'the body is not valid JSON');
      // GitLab sends the same Idempotency-Key / event UUID on a retry; an old GitLab sends neither,
      // and then the body itself identifies the delivery.
      const deliveryId =
        header(request, 'idempotency-key') ?? header(request, 'x-gitlab-event-uuid') ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
      await answerWebhook(parseGitlabEvent(name, deliveryId, json.value), dispatch, response);
    },
  };
}
