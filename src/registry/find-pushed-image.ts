import { parseImageName } from './image-reference.js';
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

/** How long a pipeline's last push may take to be reported by the registry's notifications. */
const REPORT_WAIT_MS = 5_000;

/**
 * The first of `tags` that `pipelineId` itself pushed to `repository`, as the registry reported
 * it: whoever else wrote the tag before or since (a branch planting `:<sha>`), the tested image is
 * the pipeline's own. Null when the registry reported no such push within a few seconds.
 */
export async function findOwnPush(
  ownPush: (pipelineId: number, repository: string, tags: string[]) => Promise<{ tag: string; digest: string } | null>,
  registryHost: string,
  pipelineId: number,
  repository: string,
  tags: string[],
  waitMs = REPORT_WAIT_MS,
): Promise<{ ref: string; digest: string } | null> {
  const until = Date.now() + waitMs;
  for (;;) {
    const found = await ownPush(pipelineId, repository, tags);
    if (found) return { ref: `${registryHost}/${repository}:${found.tag}`, digest: found.digest };
    if (Date.now() >= until) return null;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `candidates` (`host/repository:tag`) less those whose tag an untrusted writer wrote last. */
export async function trustedCacheImages(pushes: { lastWrittenUntrusted(repository: string, tags: string[]): Promise<Set<string>> }, candidates: string[]): Promise<string[]> {
  // One question per repository (a build's candidates are usually all of one), answers kept in order.
  const tagsOf = new Map<string, string[]>();
  const named = candidates.map((candidate) => ({ candidate, ...parseImageName(candidate) }));
  for (const { repository, tag } of named) if (tag) tagsOf.set(repository, [...(tagsOf.get(repository) ?? []), tag]);
  const untrusted = new Map<string, Set<string>>();
  for (const [repository, tags] of tagsOf) untrusted.set(repository, await pushes.lastWrittenUntrusted(repository, tags));
  return named.filter(({ repository, tag }) => tag && !untrusted.get(repository)!.has(tag)).map(({ candidate }) => candidate);
}
