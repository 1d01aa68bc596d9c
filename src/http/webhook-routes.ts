import type { Config } from '../config/load-config.js';
import type { Forges } from '../forges/create-forges.js';
import { GITHUB_WEBHOOK_PATH, githubWebhookRoute } from '../forges/github/github-webhook-route.js';
import { GITLAB_WEBHOOK_PATH, gitlabWebhookRoute } from '../forges/gitlab/gitlab-webhook-route.js';
import type { Dispatch } from '../pipeline/dispatch-event.js';
import { sendError } from './respond.js';
import type { Route } from './router.js';

/** A route for something this server was not configured for: says what to set. */
export function notConfigured(path: string, message: string, method: Route['method'] = 'POST'): Route {
  return { method, path, handle: (_request, response) => sendError(response, 404, message) };
}

export function webhookRoutes(config: Config, forges: Forges, dispatch: Dispatch): Route[] {
  return [
    forges.probot
      ? githubWebhookRoute(forges.probot, dispatch)
      : notConfigured(GITHUB_WEBHOOK_PATH, 'GitHub is not configured on this server: set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET'),
    config.gitlab
      ? gitlabWebhookRoute(config.gitlab.webhookSecret, dispatch)
      : notConfigured(GITLAB_WEBHOOK_PATH, 'GitLab is not configured on this server: set GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET'),
  ];
}
