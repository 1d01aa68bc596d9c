import type { VariableCipher } from '../variables/variable-cipher.js';
import type { CiVariable, VariableSettings } from '../variables/variable-rules.js';
import { withTransaction, type Pool } from './pool.js';
import { SecretKeyError } from '../config/secret-key.js';

/** What `list` shows: everything but the value. */
export type ListedVariable = VariableSettings & { updatedAt: Date };

interface VariableRow {
  project: string;
  environment: string;
  name: string;
  ciphertext: Buffer;
  nonce: Buffer;
  key_id: string;
  masked: boolean;
  protected: boolean;
  file: boolean;
  updated_at: Date;
}

const settingsOf = (row: VariableRow): VariableSettings => ({ name: row.name, environment: row.environment, masked: row.masked, protected: row.protected, file: row.file });

/**
 * A project's CI/CD variables, encrypted with the server's key before they reach PostgreSQL
 * and decrypted only to be given to a job or a deploy. Values never appear in a query's text.
 */
export function createProjectVariableStore(pool: Pool, cipher: VariableCipher | undefined) {
  const needCipher = (): VariableCipher => {
    if (!cipher) throw new SecretKeyError('SLIPWAY_SECRET_KEY is not set: CI/CD variables are stored encrypted with it (make one with `openssl rand -base64 32`)');
    return cipher;
  };
  const open = (row: VariableRow): CiVariable => {
    const key = needCipher();
    if (row.key_id !== key.keyId) throw new SecretKeyError(wrongKey(1));
    return { ...settingsOf(row), value: key.open(row, { project: row.project, environment: row.environment, name: row.name }) };
  };

  return {
    /** Creates or replaces one variable. */
    async set(project: string, variable: CiVariable): Promise<void> {
      const sealed = needCipher().seal(variable.value, { project, environment: variable.environment, name: variable.name });
      await pool.query(
        `INSERT INTO project_variables (project, environment, name, ciphertext, nonce, key_id, masked, protected, file)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (project, environment, name) DO UPDATE
           SET ciphertext = EXCLUDED.ciphertext, nonce = EXCLUDED.nonce, key_id = EXCLUDED.key_id,
               masked = EXCLUDED.masked, protected = EXCLUDED.protected, file = EXCLUDED.file, updated_at = now()`,
        [project, variable.environment, variable.name, sealed.ciphertext, sealed.nonce, sealed.keyId, variable.masked, variable.protected, variable.file],
      );
    },

    /** True when there was such a variable. */
    async unset(project: string, name: string, environment: string): Promise<boolean> {
      const { rowCount } = await pool.query('DELETE FROM project_variables WHERE project = $1 AND name = $2 AND environment = $3', [project, name, environment]);
      return rowCount === 1;
    },

    /** Names and settings, never values; needs no key. */
    async list(project: string): Promise<ListedVariable[]> {
      const { rows } = await pool.query<VariableRow>('SELECT * FROM project_variables WHERE project = $1 ORDER BY name, environment', [project]);
      return rows.map((row) => ({ ...settingsOf(row), updatedAt: row.updated_at }));
    },

    /** Every variable of a project, decrypted. */
    async forProject(project: string): Promise<CiVariable[]> {
      const { rows } = await pool.query<VariableRow>('SELECT * FROM project_variables WHERE project = $1 ORDER BY name, environment', [project]);
      return rows.map(open);
    },

    /** Refuses to start when stored variables cannot be read with the configured key (or there is none). */
    async checkKey(): Promise<void> {
      const { rows } = await pool.query<{ key_id: string; count: number }>('SELECT key_id, count(*)::int AS count FROM project_variables GROUP BY key_id');
      const total = rows.reduce((sum, row) => sum + row.count, 0);
      if (total === 0) return;
      if (!cipher) throw new SecretKeyError(`SLIPWAY_SECRET_KEY is not set, but ${total} CI/CD variable(s) are stored encrypted: set the key they were stored with`);
      const other = rows.filter((row) => row.key_id !== cipher.keyId).reduce((sum, row) => sum + row.count, 0);
      if (other > 0) throw new SecretKeyError(wrongKey(other));
    },

    /** Seals every value again under `next`, in one transaction; returns how many. */
    async rekey(next: VariableCipher): Promise<number> {
      const current = needCipher();
      return withTransaction(pool, async (client) => {
        const { rows } = await client.query<VariableRow>('SELECT * FROM project_variables FOR UPDATE');
        for (const row of rows) {
          if (row.key_id !== current.keyId) throw new SecretKeyError(wrongKey(1));
          const place = { project: row.project, environment: row.environment, name: row.name };
          const sealed = next.seal(current.open(row, place), place);
          await client.query('UPDATE project_variables SET ciphertext = $4, nonce = $5, key_id = $6 WHERE project = $1 AND environment = $2 AND name = $3', [
            row.project,
            row.environment,
            row.name,
            sealed.ciphertext,
            sealed.nonce,
            sealed.keyId,
          ]);
        }
        return rows.length;
      });
    },
  };
}

function wrongKey(count: number): string {
  return `SLIPWAY_SECRET_KEY is not the key ${count} stored CI/CD variable(s) were encrypted with: set the key they were stored with (to change keys, run \`slipway variables rekey\` with the old one)`;
}

export type ProjectVariableStore = ReturnType<typeof createProjectVariableStore>;
