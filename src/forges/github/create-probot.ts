import { Probot } from 'probot';
import type { Config } from '../../config/load-config.js';
import type { Logger } from '../../telemetry/logger.js';

/** Probot for authentication and webhook verification; GHE_HOST points it at GitHub Enterprise. */
export function createProbot(github: NonNullable<Config['github']>, logger: Logger): Probot {
  return new Probot({
    appId: github.appId,
    // Keys pasted into one-line environment variables arrive with literal \n.
    privateKey: github.privateKey.replace(/\\n/g, '\n'),
    secret: github.webhookSecret,
    ...(github.gheHost ? { baseUrl: `https://${github.gheHost}/api/v3` } : {}),
    log: logger.child({ component: 'probot' }) as never,
  });
}
