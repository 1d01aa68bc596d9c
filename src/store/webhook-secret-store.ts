import { createHash, randomBytes } from 'node:crypto';
import type { ForgeName } from '../model/forge-event.js';
import type { Pool } from './pool.js';

const digest = (secret: string) => createHash('sha256').update(secret).digest();

/** Per-project webhook secrets: only a hash is kept; a new one replaces the old at once. */
export function createWebhookSecretStore(pool: Pool) {
  return {
    /** A new secret for the project (the old one stops working), shown once to whoever asked. */
    async issue(forge: ForgeName, projectId: string): Promise<string> {
      const secret = `slpwh_${randomBytes(24).toString('base64url')}`;
      await pool.query(
        `INSERT INTO webhook_secrets (forge, project_id, secret_sha256) VALUES ($1, $2, $3)
         ON CONFLICT (forge, project_id) DO UPDATE SET secret_sha256 = EXCLUDED.secret_sha256, created_at = now()`,
        [forge, projectId, digest(secret)],
      );
      return secret;
    },

    /** The project a presented secret belongs to; null for one nobody was issued. */
    async projectOf(forge: ForgeName, secret: string): Promise<string | null> {
      const { rows } = await pool.query<{ project_id: string }>('SELECT project_id FROM webhook_secrets WHERE forge = $1 AND secret_sha256 = $2', [forge, digest(secret)]);
      return rows[0]?.project_id ?? null;
    },
  };
}

export type WebhookSecretStore = ReturnType<typeof createWebhookSecretStore>;
