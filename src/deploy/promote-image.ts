import { environmentRepository } from '../registry/project-repositories.js';
import type { Manifest, RegistryClient } from '../registry/registry-client.js';

export class PromotionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromotionError';
  }
}

/** The digests a manifest refers to: its config and layers, or an index's manifests. */
function referencesOf(manifest: Manifest): { blobs: string[]; manifests: string[] } {
  const body = JSON.parse(manifest.bytes.toString('utf8')) as {
    config?: { digest?: string };
    layers?: Array<{ digest?: string }>;
    manifests?: Array<{ digest?: string }>;
  };
  const digests = (items: Array<{ digest?: string }> | undefined) => (items ?? []).map((item) => item.digest).filter((digest): digest is string => typeof digest === 'string');
  return { blobs: [...(body.config?.digest ? [body.config.digest] : []), ...digests(body.layers)], manifests: digests(body.manifests) };
}

/** Puts `manifest` (from `fromRepository`) into `toRepository` as `reference`, bringing its blobs and child manifests along. */
async function copyManifest(registry: RegistryClient, fromRepository: string, manifest: Manifest, toRepository: string, reference: string): Promise<void> {
  if (fromRepository !== toRepository) {
    const { blobs, manifests } = referencesOf(manifest);
    for (const blob of blobs) {
      if (!(await registry.hasBlob(toRepository, blob))) await registry.mountBlob(toRepository, blob, fromRepository);
    }
    for (const child of manifests) {
      const childManifest = await registry.getManifest(fromRepository, child);
      if (!childManifest) throw new PromotionError(`${fromRepository}@${child} (part of the image index) is no longer in the registry`);
      await copyManifest(registry, fromRepository, childManifest, toRepository, child);
    }
  }
  await registry.putManifest(toRepository, reference, manifest);
}

/** What the environment tag points at now; null before the first deploy. */
export async function environmentDigest(registry: RegistryClient, repository: string, environment: string): Promise<string | null> {
  return (await registry.getManifest(environmentRepository(repository), environment))?.digest ?? null;
}

/**
 * Points the environment tag at the image `from` (a tag or a digest of `repository`) by
 * copying its manifest byte for byte: no pull, no push of layers. Refuses if `from` no longer
 * has the digest that was tested. Promoting to the digest already there changes nothing, so a
 * runner taking over a half-finished deploy can simply promote again.
 */
export async function promoteImage(registry: RegistryClient, repository: string, from: string, expectedDigest: string, environment: string): Promise<void> {
  const manifest = await registry.getManifest(repository, from);
  if (!manifest) throw new PromotionError(`${repository}:${from} is no longer in the registry`);
  if (manifest.digest !== expectedDigest) {
    throw new PromotionError(`${repository}:${from} is now ${manifest.digest}, not the tested ${expectedDigest}; refusing to deploy an image that was not tested`);
  }
  const target = environmentRepository(repository);
  if ((await registry.getManifest(target, environment))?.digest === expectedDigest) return;
  await copyManifest(registry, repository, manifest, target, environment);
}
