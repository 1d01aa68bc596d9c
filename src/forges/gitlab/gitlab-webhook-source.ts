import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ParsedWebhook } from '../parse-result.js';
import { refuse } from '../../model/refusal.js';
import { tokensMatch } from '../../util/tokens-match.js';
import { header, type WebhookSource } from '../webhook-source.js';
import { withinTime } from '../../util/within-time.js';
import type { GitlabFacts } from './gitlab-facts.js';
import { parseGitlabEvent } from './parse-gitlab-event.js';
import { verifyGitlabHook } from './verify-gitlab-hook.js';

export const GITLAB_WEBHOOK_PATH = '/webhooks/gitlab';

/** GitLab waits 10 s for an answer; verification must leave time to record the event. */
const VERIFY_WITHIN_MS = 6_000;

/**
 * Which project a hook's token speaks for: a shared GITLAB_WEBHOOK_SECRET is bound to one
 * project id; otherwise each project has its own secret (`slipway webhook-secret`).
 */
export interface GitlabWebhookSecrets {
  shared?: { secret: string; projectId: string };
  projectOf?(secret: string): Promise<string | null>;
}

const projectIdOf = (parsed: ParsedWebhook) =>
  parsed.kind === 'event' ? parsed.event.target.apiContext.projectId : parsed.kind === 'command' ? parsed.command.target.apiContext.projectId : undefined;

/**
 * `POST /webhooks/gitlab`: the token is checked before the body is read and names the one
 * project the hook may be about; then what the hook says is verified with GitLab's API.
 */
export function gitlabWebhookSource(secrets: GitlabWebhookSecrets, facts: GitlabFacts): WebhookSource {
  const boundTo = new WeakMap<IncomingMessage, string>();
  return {
    path: GITLAB_WEBHOOK_PATH,
    async authenticateHeaders(request) {
      const token = header(request, 'x-gitlab-token');
      if (!token) return refuse("missing X-Gitlab-Token: set the project's webhook secret as the GitLab webhook's secret token");
      const project = secrets.shared && tokensMatch(token, secrets.shared.secret) ? secrets.shared.projectId : await secrets.projectOf?.(token);
      if (!project) return refuse("X-Gitlab-Token is no project's webhook secret: issue one with slipway webhook-secret gitlab PROJECT_ID and set it on that project's webhook");
      boundTo.set(request, project);
      return undefined;
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
    async verify(parsed, request) {
      const claimed = projectIdOf(parsed);
      const bound = boundTo.get(request);
      if (claimed !== undefined && String(claimed) !== bound) {
        return { kind: 'refused', reason: `the webhook secret is project ${bound}'s, but the hook is about project ${claimed}: each project's webhook uses its own secret` };
      }
      return withinTime(verifyGitlabHook(parsed, facts), VERIFY_WITHIN_MS, () => new Error(`GitLab did not answer within ${VERIFY_WITHIN_MS / 1000} s`));
    },
  };
}
