import type { Config } from '../config/load-config.js';
import type { Logger } from '../telemetry/logger.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when given; otherwise the embedded PostgreSQL under the data folder. */
export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  if (config.database.url) return { url: config.database.url, embedded: false, stop: async () => undefined };
  const embedded = await startEmbeddedPostgres(config.database.dataDir, config.database.embeddedPort, logger);
  return { url: embedded.url, embedded: true, stop: embedded.stop };
}
