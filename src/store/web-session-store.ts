import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from './pool.js';

/** Who a session or a personal token speaks for: a forge's user, or the admin. */
export interface WebIdentity {
  /** Null for the admin (SLIPWAY_ADMIN_TOKEN). */
  forge: 'github' | 'gitlab' | null;
  userId: string;
  login: string;
}

export interface WebSession extends WebIdentity {
  csrf: string;
  expiresAt: Date;
}

export interface ApiToken {
  id: number;
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const hash = (token: string) => createHash('sha256').update(token).digest();
const newSecret = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;

/** Sessions of the web UI and personal API tokens; the secrets themselves are never stored. */
export function createWebSessionStore(pool: Pool) {
  return {
    /** Starts a session; the returned token goes in the cookie and nowhere else. */
    async create(identity: WebIdentity, lifetimeSeconds: number): Promise<{ token: string; session: WebSession }> {
      const token = newSecret('');
      const csrf = randomBytes(24).toString('base64url');
      // Sessions nobody ended go when their time is long past: a login is a good moment to sweep.
      await pool.query(`DELETE FROM web_sessions WHERE expires_at < now() - interval '1 day'`);
      const { rows } = await pool.query<{ expires_at: Date }>(
        `INSERT INTO web_sessions (token_hash, forge, user_id, login, csrf, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING expires_at`,
        [hash(token), identity.forge, identity.userId, identity.login, csrf, lifetimeSeconds],
      );
      return { token, session: { ...identity, csrf, expiresAt: rows[0]!.expires_at } };
    },

    async get(token: string): Promise<WebSession | null> {
      const { rows } = await pool.query<{ forge: WebIdentity['forge']; user_id: string; login: string; csrf: string; expires_at: Date }>(
        'SELECT forge, user_id, login, csrf, expires_at FROM web_sessions WHERE token_hash = $1 AND expires_at > now()',
        [hash(token)],
      );
      const row = rows[0];
      return row ? { forge: row.forge, userId: row.user_id, login: row.login, csrf: row.csrf, expiresAt: row.expires_at } : null;
    },

    async end(token: string): Promise<void> {
      await pool.query('DELETE FROM web_sessions WHERE token_hash = $1 OR expires_at < now()', [hash(token)]);
    },

    /** A personal token for `identity`; shown once, then only its label and dates. */
    async createToken(identity: WebIdentity, label: string): Promise<{ token: string; id: number }> {
      const token = newSecret('slp_');
      const { rows } = await pool.query<{ id: number }>(
        'INSERT INTO api_tokens (token_hash, forge, user_id, login, label) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [hash(token), identity.forge, identity.userId, identity.login, label],
      );
      return { token, id: Number(rows[0]!.id) };
    },

    async findToken(token: string): Promise<WebIdentity | null> {
      const { rows } = await pool.query<{ forge: WebIdentity['forge']; user_id: string; login: string }>(
        'UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 RETURNING forge, user_id, login',
        [hash(token)],
      );
      const row = rows[0];
      return row ? { forge: row.forge, userId: row.user_id, login: row.login } : null;
    },

    async listTokens(identity: WebIdentity): Promise<ApiToken[]> {
      const { rows } = await pool.query<{ id: string; label: string; created_at: Date; last_used_at: Date | null }>(
        'SELECT id, label, created_at, last_used_at FROM api_tokens WHERE forge IS NOT DISTINCT FROM $1 AND user_id = $2 ORDER BY id',
        [identity.forge, identity.userId],
      );
      return rows.map((row) => ({ id: Number(row.id), label: row.label, createdAt: row.created_at, lastUsedAt: row.last_used_at }));
    },

    /** False when the token is not this person's (or is gone). */
    async revokeToken(identity: WebIdentity, id: number): Promise<boolean> {
      const { rowCount } = await pool.query('DELETE FROM api_tokens WHERE id = $1 AND forge IS NOT DISTINCT FROM $2 AND user_id = $3', [id, identity.forge, identity.userId]);
      return rowCount === 1;
    },
  };
}

export type WebSessionStore = ReturnType<typeof createWebSessionStore>;
