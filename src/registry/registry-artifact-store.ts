import type { ProjectKey } from '../model/forge-event.js';
import { createHash } from 'node:crypto';
import type { ArtifactStore } from '../pipeline/artifact-store.js';
import { repositoryPath } from '../pipeline/image-names.js';
import { artifactRepository, cacheRepository } from './project-repositories.js';
import type { RegistryClient } from './registry-client.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** The OCI "empty" config: artifacts carry no image configuration. */
const EMPTY_CONFIG = Buffer.from('{}');
const EMPTY_CONFIG_TYPE = 'application/vnd.oci.empty.v1+json';
export const ARTIFACTS_TYPE = 'application/vnd.slipway.job-artifacts.v1';
export const CACHE_TYPE = 'application/vnd.slipway.cache.v1';
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 40);

/**
 * Artifacts and caches as OCI artifacts in the registry Slipway already pushes images to, so
 * every worker (and every Docker host) reaches them with nothing new to run: one manifest per
 * job's artifacts (tagged by pipeline and job, read back by digest) and one tag per cache key.
 */
export interface RegistryArtifactStore extends ArtifactStore {
  /** Removes a job's artifacts (their manifest; the registry's garbage collection frees the bytes); false when already gone. */
  deleteArtifacts(project: ProjectKey, digest: string): Promise<boolean>;
}

export function createRegistryArtifactStore(registry: RegistryClient): RegistryArtifactStore {
  async function put(repository: string, tag: string, artifactType: string, archive: Buffer, annotations: Record<string, string>): Promise<string> {
    const [configDigest, layerDigest] = await Promise.all([registry.pushBlob(repository, EMPTY_CONFIG), registry.pushBlob(repository, archive)]);
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType,
        config: { mediaType: EMPTY_CONFIG_TYPE, digest: configDigest, size: EMPTY_CONFIG.length },
        layers: [{ mediaType: LAYER_TYPE, digest: layerDigest, size: archive.length }],
        annotations: { 'org.opencontainers.image.created': new Date().toISOString(), ...annotations },
      }),
    );
    return registry.putManifest(repository, tag, { mediaType: OCI_MANIFEST, bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` });
  }

  async function layerOf(repository: string, reference: string): Promise<NodeJS.ReadableStream | undefined> {
    const manifest = await registry.getManifest(repository, reference);
    if (!manifest) return undefined;
    const layer = (JSON.parse(manifest.bytes.toString('utf8')) as { layers?: Array<{ digest?: string }> }).layers?.[0]?.digest;
    if (!layer) throw new Error(`${repository}@${reference} holds no archive`);
    return registry.openBlob(repository, layer);
  }

  return {
    async saveArtifacts(project, pipelineId, job, archive) {
      const repository = artifactRepository(repositoryPath(project.project));
      const digest = await put(repository, `pipeline-${pipelineId}-${shortHash(job).slice(0, 16)}`, ARTIFACTS_TYPE, archive, {
        'dev.slipway.pipeline': pipelineId,
        'dev.slipway.job': job,
      });
      return { digest };
    },

    async openArtifacts(project, digest) {
      const archive = await layerOf(artifactRepository(repositoryPath(project.project)), digest);
      if (!archive) throw new Error(`the artifacts ${digest} are no longer in the registry`);
      return archive;
    },

    async saveCache(project, scope, key, archive) {
      await put(cacheRepository(repositoryPath(project.project)), `${scope}-${shortHash(key)}`, CACHE_TYPE, archive, { 'dev.slipway.cache-key': key });
    },

    async openCache(project, scope, key) {
      return layerOf(cacheRepository(repositoryPath(project.project)), `${scope}-${shortHash(key)}`);
    },

    async deleteArtifacts(project, digest) {
      return registry.deleteManifest(artifactRepository(repositoryPath(project.project)), digest);
    },
  };
}
