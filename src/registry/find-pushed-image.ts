import type { RegistryClient } from './registry-client.js';

/** The first of `tags` present in `repository`, with its digest; null when none is. */
export async function findPushedImage(
  client: RegistryClient,
  registryHost: string,
  repository: string,
  tags: string[],
): Promise<{ ref: string; digest: string } | null> {
  for (const tag of tags) {
    const manifest = await client.getManifest(repository, tag);
    if (manifest) return { ref: `${registryHost}/${repository}:${tag}`, digest: manifest.digest };
  }
  return null;
}
