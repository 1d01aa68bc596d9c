import { createHash } from 'node:crypto';
import type { PipelineFacts } from '../model/pipeline-facts.js';

/** What the registry allows as one path component. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** Kept for Slipway's own repositories beside a project's (environments, artifacts, caches). */
const RESERVED = new Set(['environments', 'slipway-artifacts', 'slipway-cache']);
const ENCODED = 'x--';
/** The registry refuses a repository name past 255 characters; the registry host and suffixes need room. */
const MAX_PATH = 180;

function component(part: string): string {
  if (COMPONENT.test(part) && !part.startsWith(ENCODED) && !RESERVED.has(part)) return part;
  return `${ENCODED}${Buffer.from(part, 'utf8').toString('hex')}`;
}

/**
 * The registry repository of a project path, one-to-one: lower case (both forges treat paths
 * without regard to case), and `$CI_REGISTRY/$CI_PROJECT_PATH` as GitLab's own registry names it.
 * A part the registry would not take as it is (`_app`, `.app`, `x--…`, a name Slipway keeps for
 * itself) is written `x--<hex of its bytes>`, never stripped, so no two paths share a repository,
 * an image tag or a cache. A path too long for the registry becomes `h--<sha256>`. The same path
 * on two forges would: the first to push owns it (see registry_repositories).
 */
export function repositoryPath(project: string): string {
  const path = project.toLowerCase().split('/').map(component).join('/');
  if (path.length <= MAX_PATH) return path;
  return `h--${createHash('sha256').update(project.toLowerCase()).digest('hex').slice(0, 40)}`;
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

export type ImageNaming = Pick<PipelineFacts, 'registry' | 'forge' | 'project' | 'sha' | 'ref' | 'defaultBranch'>;

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
  const onDefault = naming.defaultBranch !== null && branchTag(naming.defaultBranch) === branch;
  const reason = reservedTagReason(branch, onDefault);
  const tags = [naming.sha, ...(reason ? [] : [branch]), ...(onDefault ? ['latest'] : [])];
  const cacheFrom = [...new Set([...(reason ? [] : [branch]), 'latest'])].map((tag) => `${repository}:${tag}`);
  return { repository, tags: [...new Set(tags)], cacheFrom, ...(reason ? { withheld: { tag: branch, reason } } : {}) };
}
