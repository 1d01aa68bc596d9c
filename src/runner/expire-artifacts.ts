import type { PipelineStore } from '../store/pipeline-store.js';
import type { RegistryArtifactStore } from '../registry/registry-artifact-store.js';
import type { Logger } from '../telemetry/logger.js';

/** How many expired artifacts one sweep removes; the next sweep takes the rest. */
const BATCH = 100;

/**
 * Removes artifacts past their `expire_in`: the manifest from the registry (its garbage
 * collection then frees the bytes), then the row. A row whose manifest could not be deleted
 * stays, shown as expired, and is tried again at the next sweep. Returns how many went.
 */
export async function expireArtifacts(store: PipelineStore, artifacts: RegistryArtifactStore, logger: Logger): Promise<number> {
  let removed = 0;
  for (const expired of await store.expiredArtifacts(BATCH)) {
    try {
      await artifacts.deleteArtifacts(expired.project, expired.digest);
      await store.forgetArtifacts(expired.jobId);
      removed += 1;
    } catch (error) {
      logger.warn({ err: error, jobId: expired.jobId, digest: expired.digest }, 'could not delete expired artifacts from the registry; trying again later');
    }
  }
  return removed;
}

/** Sweeps now and then every `intervalMs`, until stopped. */
export function startArtifactExpiry(store: PipelineStore, artifacts: RegistryArtifactStore, logger: Logger, intervalMs = 3_600_000): { stop(): void } {
  const sweep = () => void expireArtifacts(store, artifacts, logger).catch((error: unknown) => logger.warn({ err: error }, 'artifact expiry sweep failed'));
  sweep();
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
