/**
 * Where a project's environment tags live: a repository of their own, beside the project's.
 * Pipelines push to the project's repository (branch and SHA tags); only Slipway's own
 * account writes here, so no branch name and no job token can move an environment.
 */
export function environmentRepository(repository: string): string {
  return `${repository}/environments`;
}

/** Where a project's job artifacts live, as OCI artifacts, one manifest per job. */
export function artifactRepository(repository: string): string {
  return `${repository}/slipway-artifacts`;
}

/** Where a project's caches live, one tag per scope and key. */
export function cacheRepository(repository: string): string {
  return `${repository}/slipway-cache`;
}

/** The repositories under a project's that only Slipway itself writes: a job token may not touch them. */
export function slipwayRepositories(repository: string): string[] {
  return [environmentRepository(repository), artifactRepository(repository), cacheRepository(repository)];
}
