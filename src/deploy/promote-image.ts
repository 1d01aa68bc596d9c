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

/**
 * Writes `<env>-<unix seconds>-<short sha>` beside the moving environment tag, at the digest it
 * now has: one tag per promotion (rollbacks included), never moved, whose names sort by when,
 * so GitOps tools that follow the newest name (Flux's numerical policies, Argo CD Image
 * Updater) follow rollbacks too. The seconds always grow past the newest such tag; a runner
 * repeating a promotion whose tag is already the newest writes nothing.
 */
export async function writeHistoryTag(registry: RegistryClient, repository: string, environment: string, digest: string, commit: string, now = Date.now()): Promise<string> {
  const target = environmentRepository(repository);
  const pattern = new RegExp(`^${environment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)-[0-9a-f]+$`);
  let newest: { tag: string; seconds: number } | undefined;
  for (const tag of await registry.listTags(target)) {
    const seconds = Number(pattern.exec(tag)?.[1] ?? Number.NaN);
    if (Number.isSafeInteger(seconds) && (!newest || seconds > newest.seconds)) newest = { tag, seconds };
  }
  if (newest && (await registry.getManifest(target, newest.tag))?.digest === digest) return newest.tag;
  const manifest = await registry.getManifest(target, digest);
  if (!manifest) throw new PromotionError(`${target}@${digest} is not in the registry to tag`);
  const tag = `${environment}-${Math.max(Math.floor(now / 1000), (newest?.seconds ?? 0) + 1)}-${commit.replace(/^sha256:/, '').slice(0, 12)}`;
  await registry.putManifest(target, tag, manifest);
  return tag;
}
