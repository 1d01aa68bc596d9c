import type { Probot } from 'probot';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import type { Forge, ForgeName } from './forge.js';
import { createProbot } from './github/create-probot.js';
import { createGithubForge } from './github/github-forge.js';
import { createGitlabForge } from './gitlab/gitlab-forge.js';

export interface Forges {
  byName: Map<ForgeName, Forge>;
  probot: Probot | undefined;
}

/** The forges this server is configured for; an unconfigured forge is simply absent. */
export function createForges(config: Config, logger: Logger): Forges {
  const byName = new Map<ForgeName, Forge>();
  const probot = config.github ? createProbot(config.github, logger) : undefined;
  if (probot) byName.set('github', createGithubForge(probot));
  if (config.gitlab) byName.set('gitlab', createGitlabForge({ url: config.gitlab.url, token: config.gitlab.token }));
  return { byName, probot };
}
