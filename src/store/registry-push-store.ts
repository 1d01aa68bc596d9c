import type { ForgeName } from '../model/forge-event.js';
import type { RecordedFacts } from '../model/pipeline-facts.js';
import { selectFacts } from './pipeline-row.js';
import type { Pool } from './pool.js';

export interface RegistryPush {
  eventId: string;
  repository: string;
  tag: string;
  digest: string;
  actor: string;
  pipelineId: number | null;
  trusted: boolean;
}

/** What the registry reported being written, and the pipelines behind the writes. */
export function createRegistryPushStore(pool: Pool) {
  return {
    /** False for an event already recorded (the registry delivers again after a failure). */
    async record(push: RegistryPush): Promise<boolean> {
      const { rowCount } = await pool.query(
        `INSERT INTO registry_pushes (event_id, repository, tag, digest, actor, pipeline_id, trusted)
         SELECT $1, $2, $3, $4, $5, $6, $7
          WHERE $6::bigint IS NULL OR EXISTS (SELECT 1 FROM pipelines WHERE id = $6)
         ON CONFLICT (event_id) DO NOTHING`,
        [push.eventId, push.repository, push.tag, push.digest, push.actor, push.pipelineId, push.trusted],
      );
      return (rowCount ?? 0) > 0;
    },

    /** Undoes `record`, so that a redelivery of the event is handled again. */
    async forget(eventId: string): Promise<void> {
      await pool.query('DELETE FROM registry_pushes WHERE event_id = $1', [eventId]);
    },

    /** The newest digest a trusted writer left under `tag`, before the event `exceptEventId`. */
    async lastTrusted(repository: string, tag: string, exceptEventId: string): Promise<string | null> {
      const { rows } = await pool.query<{ digest: string }>(
        `SELECT digest FROM registry_pushes WHERE repository = $1 AND tag = $2 AND trusted AND event_id <> $3 ORDER BY at DESC LIMIT 1`,
        [repository, tag, exceptEventId],
      );
      return rows[0]?.digest ?? null;
    },

    /** Of `tags` in `repository`, those whose last recorded writer was not trusted. */
    async lastWrittenUntrusted(repository: string, tags: string[]): Promise<Set<string>> {
      const { rows } = await pool.query<{ tag: string; trusted: boolean }>(
        `SELECT DISTINCT ON (tag) tag, trusted FROM registry_pushes WHERE repository = $1 AND tag = ANY($2::text[]) ORDER BY tag, at DESC`,
        [repository, tags],
      );
      return new Set(rows.filter((row) => !row.trusted).map((row) => row.tag));
    },

    /** Whether any trusted writer ever left `digest` in `repository` (under any tag). */
    async trustedDigest(repository: string, digest: string): Promise<boolean> {
      const { rowCount } = await pool.query(`SELECT 1 FROM registry_pushes WHERE repository = $1 AND digest = $2 AND trusted LIMIT 1`, [repository, digest]);
      return (rowCount ?? 0) > 0;
    },

    /** The digest `pipelineId` itself pushed under one of `tags`, newest first; null when it pushed none of them. */
    async ownPush(pipelineId: number, repository: string, tags: string[]): Promise<{ tag: string; digest: string } | null> {
      const { rows } = await pool.query<{ tag: string; digest: string }>(
        `SELECT tag, digest FROM registry_pushes WHERE pipeline_id = $1 AND repository = $2 AND tag = ANY($3::text[]) ORDER BY array_position($3::text[], tag), at DESC LIMIT 1`,
        [pipelineId, repository, tags],
      );
      return rows[0] ?? null;
    },

    /** The facts that decide whether a pipeline's writes are trusted. */
    factsOf(pipelineId: number): Promise<RecordedFacts | null> {
      return selectFacts(pool, pipelineId);
    },
  };
}

export type RegistryPushStore = ReturnType<typeof createRegistryPushStore>;
