import type { Pool } from './pool.js';

/** This installation's id, made by its first migration and never changed. */
export async function installationIdOf(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM installation');
  if (!rows[0]) throw new Error('the database has no installation id: run slipway migrate');
  return rows[0].id;
}
