import type { Probot } from 'probot';
import { refuse } from '../../model/refusal.js';
import { header, type WebhookSource } from '../webhook-source.js';
import { parseGithubEvent } from './parse-github-event.js';

export const GITHUB_WEBHOOK_PATH = '/api/github/webhooks';

/** `POST /api/github/webhooks`: probot's verifier checks the HMAC over the exact bytes received. */
export function githubWebhookSource(probot: Probot): WebhookSource {
  return {
    path: GITHUB_WEBHOOK_PATH,
    async authenticate(request, body) {
      const signature = header(request, 'x-hub-signature-256');
      if (!signature) return refuse('missing X-Hub-Signature-256: is the webhook secret set on GitHub?');
      const valid = await probot.webhooks.verify(body.toString('utf8'), signature).catch(() => false);
      return valid ? undefined : refuse('X-Hub-Signature-256 does not match the body: check WEBHOOK_SECRET');
    },
    identify(request) {
      const name = header(request, 'x-github-event');
      const deliveryId = header(request, 'x-github-delivery');
      return name && deliveryId ? { name, deliveryId } : refuse('missing X-GitHub-Event or X-GitHub-Delivery header');
    },
    parse: parseGithubEvent,
  };
}
