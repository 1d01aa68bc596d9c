import type { ProjectKey } from '../model/forge-event.js';

/**
 * Where a pipeline's artifacts and a project's caches are kept, reachable from every worker
 * (the registry, as OCI artifacts). Archives are gzipped tars named relative to the workspace.
 */
export interface ArtifactStore {
  saveArtifacts(project: ProjectKey, pipelineId: string, job: string, archive: Buffer): Promise<{ digest: string }>;
  openArtifacts(project: ProjectKey, digest: string): Promise<NodeJS.ReadableStream>;
  /** `scope` keeps caches of protected refs, other branches and forks apart, so none can poison another's. */
  saveCache(project: ProjectKey, scope: string, key: string, archive: Buffer): Promise<void>;
  /** Undefined when there is no cache under `key`. */
  openCache(project: ProjectKey, scope: string, key: string): Promise<NodeJS.ReadableStream | undefined>;
}

/** What a job's artifacts became, for the record and the page. */
export interface SavedArtifacts {
  digest: string;
  size: number;
  files: number;
  /** The download's name, variables expanded. */
  name: string;
  /** Null: kept until deleted. */
  expiresAt: Date | null;
  /** Variables from its `reports:dotenv`, for the jobs that take its artifacts. */
  dotenv: Record<string, string>;
}

/** How a pipeline keeps artifacts and caches. */
export interface ArtifactSettings {
  store: ArtifactStore;
  /** Largest gzipped archive of one job's artifacts; past it the job fails, naming the limit. */
  maxBytes: number;
  /** Largest cache archive; past it the cache is not saved, and the log says so. */
  cacheMaxBytes: number;
  /** How long artifacts stay when the file does not say (`expire_in`). */
  defaultExpireInSeconds: number;
  /** `protected`, `unprotected` or `fork`: which caches this pipeline reads and writes. */
  cacheScope: string;
}
