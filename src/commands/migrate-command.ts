import { loadConfig } from '../config/load-config.js';
import { databaseFailure, databaseUrlOf } from '../wiring/startup-failure.js';
import { migrate } from '../store/migrate.js';
import { openDatabase } from '../store/open-database.js';
import { createLogger } from '../telemetry/logger.js';
import { UsageError } from './usage-error.js';
import { parseCommandArgs } from './parse-command-args.js';

/** `slipway migrate [--down] [--count N]`. */
export async function migrateCommand(args: string[]): Promise<void> {
  const { values } = parseCommandArgs('migrate', args, { options: { down: { type: 'boolean' }, count: { type: 'string' } } });
  const count = values.count === undefined ? undefined : Number(values.count);
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) throw new UsageError('--count must be a whole number of at least 1');
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const embedded = config.database.url === undefined;
  const database = await openDatabase(config, logger).catch((error: unknown) => {
    throw databaseFailure(error, databaseUrlOf(config), embedded);
  });
  try {
    const names = await migrate(database.url, { direction: values.down ? 'down' : 'up', count }).catch((error: unknown) => {
      throw databaseFailure(error, database.url, embedded);
    });
    console.log(names.length === 0 ? 'nothing to migrate' : `${values.down ? 'reverted' : 'applied'}: ${names.join(', ')}`);
  } finally {
    await database.stop();
  }
}

