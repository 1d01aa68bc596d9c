import type { Probot } from 'probot';
import { header, readBody } from '../../http/read-body.js';
import { sendError } from '../../http/respond.js';
import type { Route } from '../../http/router.js';
import type { Dispatch } from '../../pipeline/dispatch-event.js';
import { answerWebhook, parseJson } from '../answer-webhook.js';
import { parseGithubEvent } from './parse-github-event.js';

export const GITHUB_WEBHOOK_PATH = '/api/github/webhooks';

/** `POST /api/github/webhooks`: probot's verifier checks the HMAC over the exact bytes received. */
export function githubWebhookRoute(probot: Probot, dispatch: Dispatch): Route {
  return {
    method: 'POST',
    path: GITHUB_WEBHOOK_PATH,
    async handle(request, response) {
      const body = await readBody(request);
      const signature = header(request, 'x-hub-signature-256');
      if (!signature) return sendError(response, 401, 'missing X-Hub-Signature-256: is the webhook secret set on GitHub?');
      const valid = await probot.webhooks.verify(body.toString('utf8'), signature).catch(() => false);
      if (!valid) return sendError(response, 401, 'X-Hub-Signature-256 does not match the body: check WEBHOOK_SECRET');
      const name = header(request, 'x-github-event');
      const deliveryId = header(request, 'x-github-delivery');
      if (!name || !deliveryId) return sendError(response, 400, 'missing X-GitHub-Event or X-GitHub-Delivery header');
      const json = parseJson(body);
      if (!json.ok) return sendError(response, 400, 'the body is not valid JSON');
      await answerWebhook(parseGithubEvent(name, deliveryId, json.value), dispatch, response);
    },
  };
}
