import { loadConfig } from '../config/load-config.js';
import { migrate } from '../store/migrate.js';
import { openDatabase } from '../store/open-database.js';
import { createPool } from '../store/pool.js';
import { createWebhookSecretStore } from '../store/webhook-secret-store.js';
import { createLogger } from '../telemetry/logger.js';
import { UsageError } from './usage-error.js';
import { WEBHOOK_SECRET_USAGE } from './command-usage.js';

/** `slipway webhook-secret gitlab ID`: one secret per project, so no project's secret speaks for another. */
export async function webhookSecretCommand(args: string[]): Promise<void> {
  const [forge, projectId, ...extra] = args;
  if (forge !== 'gitlab' || !projectId || extra.length > 0) throw new UsageError(WEBHOOK_SECRET_USAGE);
  if (!/^\d{1,15}$/.test(projectId)) throw new UsageError(`${projectId} is not a GitLab project id: use the number on the project's overview page`);
  const config = loadConfig();
  const database = await openDatabase(config, createLogger('warn'));
  const pool = createPool(database.url, 2);
  try {
    await migrate(database.url);
    const secret = await createWebhookSecretStore(pool).issue('gitlab', projectId);
    console.log(secret);
    console.error(`Set it as the secret token of project ${projectId}'s webhook at ${config.publicUrl}/webhooks/gitlab; it is not shown again.`);
  } finally {
    await pool.end();
    await database.stop();
  }
}
