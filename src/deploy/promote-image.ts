import type { RegistryClient } from '../registry/registry-client.js';

export class PromotionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromotionError';
  }
}

export interface Promotion {
  digest: string;
  /** What the environment tag pointed at before, for rollback; null on a first deploy. */
  previousDigest: string | null;
}

/**
 * Points `repository:environment` at the image `from` (a tag or a digest) by copying its
 * manifest, byte for byte: no pull, no push of layers. Refuses if `from` no longer has the
 * digest that was tested.
 */
export async function promoteImage(registry: RegistryClient, repository: string, from: string, expectedDigest: string, environment: string): Promise<Promotion> {
  const manifest = await registry.getManifest(repository, from);
  if (!manifest) throw new PromotionError(`${repository}:${from} is no longer in the registry`);
  if (manifest.digest !== expectedDigest) {
    throw new PromotionError(`${repository}:${from} is now ${manifest.digest}, not the tested ${expectedDigest}; refusing to deploy an image that was not tested`);
  }
  const previous = await registry.getManifest(repository, environment);
  await registry.putManifest(repository, environment, manifest);
  return { digest: manifest.digest, previousDigest: previous?.digest ?? null };
}
