import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ArtifactSettings, ArtifactStore } from '../../src/pipeline/artifact-store.js';

/** Artifacts kept in memory by digest, for engine tests that run no registry; caches are not kept. */
export function memoryArtifacts(): ArtifactSettings & { store: ArtifactStore & { saved: Map<string, Buffer> } } {
  const saved = new Map<string, Buffer>();
  const store = {
    saved,
    async saveArtifacts(_project: unknown, _pipelineId: string, _job: string, archive: Buffer) {
      const digest = `sha256:${createHash('sha256').update(archive).digest('hex')}`;
      saved.set(digest, archive);
      return { digest };
    },
    async openArtifacts(_project: unknown, digest: string) {
      const archive = saved.get(digest);
      if (!archive) throw new Error(`no artifacts ${digest}`);
      return Readable.from([archive]);
    },
    async saveCache() {},
    async openCache() {
      return undefined;
    },
  };
  return { store, maxBytes: 1024 * 1024, cacheMaxBytes: 1024 * 1024, defaultExpireInSeconds: 3600, cacheScope: 'unprotected' };
}
