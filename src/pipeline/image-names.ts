/** Docker repository path for a forge project: lower case, only the characters Docker allows. */
export function repositoryPath(project: string): string {
  const cleaned = project
    .toLowerCase()
    .split('/')
    .map((part) => part.replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|[._-]+$/g, ''))
    .filter(Boolean)
    .join('/');
  return cleaned || 'project';
}

/** A branch name as an image tag: `feature/login` -> `feature-login`. */
export function branchTag(ref: string): string {
  const tag = ref
    .replace(/^refs\/heads\//, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128);
  return tag || 'branch';
}

export interface ImageNaming {
  registry: string;
  project: string;
  sha: string;
  ref: string;
  defaultBranch: string | undefined;
}

/** `:<sha>`, the branch tag, and `latest` on the default branch; cache candidates branch first. */
export function imageTags(naming: ImageNaming): { repository: string; tags: string[]; cacheFrom: string[] } {
  const repository = `${naming.registry}/${repositoryPath(naming.project)}`;
  const branch = branchTag(naming.ref);
  const onDefault = naming.defaultBranch !== undefined && branchTag(naming.defaultBranch) === branch;
  const tags = [naming.sha, branch, ...(onDefault && branch !== 'latest' ? ['latest'] : [])];
  const cacheFrom = [...new Set([branch, 'latest'])].map((tag) => `${repository}:${tag}`);
  return { repository, tags: [...new Set(tags)], cacheFrom };
}
