/**
 * Where a project's environment tags live: a repository of their own, beside the project's.
 * Pipelines push to the project's repository (branch and SHA tags); only Slipway's own
 * account writes here, so no branch name and no job token can move an environment.
 */
export function environmentRepository(repository: string): string {
  return `${repository}/environments`;
}
