import type { PipelineFacts } from '../model/pipeline-facts.js';

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

export type ImageNaming = Pick<PipelineFacts, 'registry' | 'project' | 'sha' | 'ref' | 'defaultBranch'>;

/**
 * Why a branch's tag is not pushed, or undefined when it may be: `latest` belongs to the
 * default branch, and a tag that looks like a commit SHA could overwrite another commit's
 * tested image. (Environment tags live in a repository of their own; no branch reaches them.)
 */
export function reservedTagReason(tag: string, onDefaultBranch: boolean): string | undefined {
  if (tag === 'latest' && !onDefaultBranch) return 'latest belongs to the default branch';
  if (/^[0-9a-f]{7,64}$/.test(tag)) return 'it looks like a commit SHA, and SHA tags name tested images';
  return undefined;
}

export interface ImageTags {
  repository: string;
  tags: string[];
  cacheFrom: string[];
  /** The branch tag left out, and why. */
  withheld?: { tag: string; reason: string };
}

/** `:<sha>`, the branch tag, and `latest` on the default branch; cache candidates branch first. */
export function imageTags(naming: ImageNaming): ImageTags {
  const repository = `${naming.registry}/${repositoryPath(naming.project)}`;
  const branch = branchTag(naming.ref);
  const onDefault = naming.defaultBranch !== undefined && branchTag(naming.defaultBranch) === branch;
  const reason = reservedTagReason(branch, onDefault);
  const tags = [naming.sha, ...(reason ? [] : [branch]), ...(onDefault ? ['latest'] : [])];
  const cacheFrom = [...new Set([...(reason ? [] : [branch]), 'latest'])].map((tag) => `${repository}:${tag}`);
  return { repository, tags: [...new Set(tags)], cacheFrom, ...(reason ? { withheld: { tag: branch, reason } } : {}) };
}
