import type { Pool } from 'pg';

export interface AuditEntry {
  actor: string;
  action: string;
  project?: string | null;
  sha?: string | null;
  detail?: Record<string, unknown>;
}

/** Audit rows about no one deployment: refused webhooks, restored tags, refused provenance. */
export function createAuditLog(pool: Pool) {
  return {
    async record(entry: AuditEntry): Promise<void> {
      await pool.query(`INSERT INTO audit_events (actor, action, project, sha, detail) VALUES ($1, $2, $3, $4, $5)`, [
        entry.actor,
        entry.action,
        entry.project ?? null,
        entry.sha ?? null,
        JSON.stringify(entry.detail ?? {}),
      ]);
    },
    async recent(action: string, limit = 50): Promise<Array<AuditEntry & { at: Date }>> {
      const { rows } = await pool.query<{ actor: string; action: string; project: string | null; sha: string | null; detail: Record<string, unknown>; at: Date }>(
        `SELECT actor, action, project, sha, detail, at FROM audit_events WHERE action = $1 ORDER BY id DESC LIMIT $2`,
        [action, limit],
      );
      return rows;
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
