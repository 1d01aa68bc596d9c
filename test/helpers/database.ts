import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/store/migrate.js';
import { createPool, type Pool } from '../../src/store/pool.js';
import { lab } from './lab.js';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: lab.databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A brand-new, empty database on the lab's PostgreSQL, dropped (with its connections) by `drop()`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `slipway_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(lab.databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

export interface MigratedDatabase extends TestDatabase {
  pool: Pool;
}

/** A fresh database with every migration applied, and a small pool on it; `drop()` closes both. */
export async function createMigratedDatabase(poolSize = 2): Promise<MigratedDatabase> {
  const database = await createTestDatabase();
  await migrate(database.url);
  const pool = createPool(database.url, poolSize);
  return {
    ...database,
    pool,
    async drop() {
      await pool.end();
      await database.drop();
    },
  };
}
