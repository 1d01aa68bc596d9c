import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Arbitrary but fixed: the advisory lock key every Slipway process takes before migrating. */
const MIGRATION_LOCK_KEY = 7_411_937_205;

export interface MigrateOptions {
  direction?: 'up' | 'down';
  /** How many migrations to apply or revert; all pending ones (up) or one (down) by default. */
  count?: number;
}

/**
 * Applies migrations under a blocking advisory lock, so processes starting together
 * take turns instead of failing (node-pg-migrate's own lock only tries once).
 */
export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<string[]> {
  // A database that never answers is an error, not a start-up that hangs.
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 15_000 });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: 'pgmigrations',
      direction: options.direction ?? 'up',
      count: options.count ?? (options.direction === 'down' ? 1 : Infinity),
      noLock: true,
      singleTransaction: true,
      checkOrder: true,
      log: () => undefined,
    });
    return applied.map((migration) => migration.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
