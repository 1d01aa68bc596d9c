import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/load-config.js';
import type { Pool } from '../store/pool.js';
import { installationIdOf } from '../store/installation-id.js';

const ID = /^[a-z0-9]{6,32}$/;

/**
 * Which installation this process belongs to: SLIPWAY_INSTALLATION_ID when set (a background
 * seeder started by a run is handed its parent's), else the database's, else (a `slipway run`
 * without a database) one kept in the data folder.
 */
export async function resolveInstallationId(config: Config, pool: Pool | undefined): Promise<string> {
  if (config.installationId) return config.installationId;
  if (pool) return installationIdOf(pool);
  const file = path.join(config.database.dataDir, 'installation-id');
  const kept = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (ID.test(kept)) return kept;
  const made = randomBytes(6).toString('hex');
  await mkdir(config.database.dataDir, { recursive: true });
  await writeFile(file, `${made}\n`, { flag: 'wx' }).catch(async () => undefined);
  // Two runs starting at once: whichever wrote first is the id.
  const written = (await readFile(file, 'utf8').catch(() => made)).trim();
  return ID.test(written) ? written : made;
}
