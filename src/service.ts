import type { Config } from './config/load-config.js';
import { healthRoutes } from './http/health-routes.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { migrate } from './store/migrate.js';
import { openDatabase } from './store/open-database.js';
import { createPool } from './store/pool.js';

export interface Service {
  http: HttpServer;
  databaseUrl: string;
  stop(): Promise<void>;
}

/** Starts everything `slipway serve` runs; `stop()` undoes it in reverse order. */
export async function startService(config: Config, logger: Logger): Promise<Service> {
  const database = await openDatabase(config, logger);
  try {
    const applied = await migrate(database.url);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  } catch (error) {
    await database.stop();
    throw error;
  }
  const pool = createPool(database.url);
  const metrics = createMetrics();
  const http = await startHttpServer({ port: config.port, routes: healthRoutes(pool, metrics), logger, metrics });

  return {
    http,
    databaseUrl: database.url,
    async stop() {
      await http.close();
      await pool.end();
      await database.stop();
    },
  };
}
