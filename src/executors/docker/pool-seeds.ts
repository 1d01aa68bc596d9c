import type Docker from 'dockerode';
import { slipwayRepositories } from '../../registry/project-repositories.js';

/** The most images a pool daemon is seeded with: past it, seeding costs more than it saves. */
export const MAX_SEEDS = 12;

/** Commit tags: each names one build, useless to the next pipeline beyond what `latest` or the branch tag holds. */
const COMMIT_TAG = /^[0-9a-f]{7,64}$/;

export interface SeedScope {
  /** Slipway's own registry (`host[:port]`): images there are pulled with Slipway's credentials. */
  registry: string;
  /** The project's repository path in it (`group/project`). */
  repository: string;
}

/**
 * Which of a finished pipeline's images to pull into the next daemon of the same project: those
 * the daemon got from a registry under that name (a `RepoDigests` entry for the same repository,
 * so a `docker tag` in a job cannot name what to seed), never commit tags, and in Slipway's own
 * registry only the project's own repositories, since the seeder pulls those with Slipway's
 * account: a pipeline must not be handed an image it could not have pulled itself.
 */
export function seedImages(images: ReadonlyArray<Pick<Docker.ImageInfo, 'RepoTags' | 'RepoDigests'>>, scope: SeedScope): string[] {
  const own = `${scope.registry}/${scope.repository}`;
  const reserved = new Set(slipwayRepositories(own));
  const seeds: string[] = [];
  for (const image of images) {
    const pulledFrom = new Set((image.RepoDigests ?? []).map((digest) => digest.slice(0, digest.lastIndexOf('@'))));
    for (const reference of image.RepoTags ?? []) {
      const colon = reference.lastIndexOf(':');
      if (colon <= 0 || reference.lastIndexOf('/') > colon) continue;
      const repository = reference.slice(0, colon);
      const tag = reference.slice(colon + 1);
      if (repository === '<none>' || !pulledFrom.has(repository) || COMMIT_TAG.test(tag)) continue;
      if (inOwnRegistry(repository, scope.registry) && ((repository !== own && !repository.startsWith(`${own}/`)) || reserved.has(repository))) continue;
      if (!seeds.includes(reference)) seeds.push(reference);
    }
  }
  return seeds.slice(0, MAX_SEEDS);
}

/** Whether seeding `image` needs Slipway's registry credentials. */
export function inOwnRegistry(image: string, registry: string): boolean {
  return image.startsWith(`${registry}/`);
}
