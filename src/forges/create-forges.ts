import type { Config } from '../config/load-config.js';
import type { Logger } from '../telemetry/logger.js';
import type { ForgeName } from '../model/forge-event.js';
import type { Forge } from './forge.js';
import type { ForgeLogin } from './forge-login.js';
import { githubLogin } from './github/github-login.js';
import { gitlabLogin } from './gitlab/gitlab-login.js';
import { createProbot } from './github/create-probot.js';
import { createGithubForge } from './github/github-forge.js';
import { GITHUB_WEBHOOK_PATH, githubWebhookSource } from './github/github-webhook-source.js';
import { gitlabFacts } from './gitlab/gitlab-facts.js';
import { createGitlabForge } from './gitlab/gitlab-forge.js';
import { GITLAB_WEBHOOK_PATH, gitlabWebhookSource } from './gitlab/gitlab-webhook-source.js';
import { NULL_FORGE } from './null-forge.js';
import type { UnconfiguredSource, WebhookSource } from './webhook-source.js';
import { connectGitlab } from './gitlab/gitlab-api.js';

export interface Forges {
  /** The configured forges, and the null forge for local pipelines; an unconfigured forge is absent. */
  byName: Map<ForgeName, Forge>;
  /** Webhook endpoints of the configured forges. */
  webhooks: WebhookSource[];
  /** Endpoints of forges this server is not configured for, with what to set. */
  unconfigured: UnconfiguredSource[];
  /** The forges people may log in to the web UI with. */
  logins: ForgeLogin[];
}

/** The forges this server is configured for, their adapters and their webhook sources. */
/** `webhookSecrets`: where per-project webhook secrets are looked up (the database; none without one). */
export function createForges(config: Config, logger: Logger, webhookSecrets?: { projectOf(forge: ForgeName, secret: string): Promise<string | null> }): Forges {
  const byName = new Map<ForgeName, Forge>([['local', NULL_FORGE]]);
  const webhooks: WebhookSource[] = [];
  const unconfigured: UnconfiguredSource[] = [];
  const logins: ForgeLogin[] = [];
  if (config.github?.login) logins.push(githubLogin(config.github.login, config.github.gheHost));
  if (config.gitlab?.login) logins.push(gitlabLogin(config.gitlab.login, config.gitlab.url));
  if (config.github) {
    const probot = createProbot(config.github, logger);
    byName.set('github', createGithubForge(probot));
    webhooks.push(githubWebhookSource(probot));
  } else {
    unconfigured.push({ path: GITHUB_WEBHOOK_PATH, message: 'GitHub is not configured on this server: set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET' });
  }
  if (config.gitlab) {
    byName.set('gitlab', createGitlabForge({ url: config.gitlab.url, token: config.gitlab.token }));
    const { webhookSecret, webhookProjectId } = config.gitlab;
    const secrets = {
      ...(webhookSecret && webhookProjectId ? { shared: { secret: webhookSecret, projectId: webhookProjectId } } : {}),
      ...(webhookSecrets ? { projectOf: (secret: string) => webhookSecrets.projectOf('gitlab', secret) } : {}),
    };
    webhooks.push(gitlabWebhookSource(secrets, gitlabFacts(connectGitlab(config.gitlab.url, config.gitlab.token))));
  } else {
    unconfigured.push({ path: GITLAB_WEBHOOK_PATH, message: 'GitLab is not configured on this server: set GITLAB_TOKEN, then give each project a webhook secret (slipway webhook-secret gitlab PROJECT_ID)' });
  }
  return { byName, webhooks, unconfigured, logins };
}
