import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/telemetry/logger.js';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { freePort } from '../helpers/free-port.js';

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-embedded-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps its data across a restart', async () => {
    const port = await freePort();
    const logger = createLogger('silent');

    const first = await startEmbeddedPostgres(dataDir, port, logger);
    await query(first.url, `CREATE TABLE kept (note text); INSERT INTO kept VALUES ('still here')`);
    await first.stop();
    const second = await startEmbeddedPostgres(dataDir, port, logger);
    const rows = await query<{ note: string }>(second.url, 'SELECT note FROM kept');
    await second.stop();

    expect(rows).toEqual([{ note: 'still here' }]);
  });

  it('refuses a second start on a data folder another process is using, naming it and the way out', async () => {
    const port = await freePort();
    const logger = createLogger('silent');
    const first = await startEmbeddedPostgres(dataDir, port, logger);
    try {
      const second = startEmbeddedPostgres(dataDir, port + 1, logger);

      await expect(second).rejects.toThrow(
        new RegExp(`^the embedded database in ${path.join(dataDir, 'postgres')} is in use by another process \\(pid \\d+\\): stop the other Slipway, or give this one its own SLIPWAY_DATA_DIR or a DATABASE_URL$`),
      );
    } finally {
      await first.stop();
    }
  });
});
