import { createHash } from 'node:crypto';
import type { PipelineFacts } from '../model/pipeline-facts.js';
import { PROJECT_DIR } from './plan.js';
import { repositoryPath } from './image-names.js';

export interface JobPlace {
  /** The pipeline's registry credential; absent where there is none to give. */
  jobToken?: string;
  /** Where a job finds the repository. */
  projectDir: string;
}

/** The user GitLab pairs with `CI_JOB_TOKEN`; registries and scripts written for GitLab expect it. */
export const JOB_TOKEN_USER = 'gitlab-ci-token';

/** GitLab's `CI_COMMIT_REF_SLUG`: lower case, `[a-z0-9-]` only, at most 63 characters. */
export function refSlug(ref: string): string {
  return ref
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

/**
 * GitLab's `CI_ENVIRONMENT_SLUG` (its `Gitlab::Slug::Environment`): `[a-z0-9-]`, starting with
 * a letter, at most 24 characters; a name the slug had to change gets a suffix from its hash,
 * so `review/a` and `review-a` never share a slug.
 */
export function environmentSlug(name: string, hexDigest = (text: string) => createHash('sha256').update(text).digest('hex')): string {
  let slug = name.toLowerCase().replace(/[^a-z0-9]/g, '-');
  if (!/^[a-z]/.test(slug)) slug = `env-${slug}`;
  slug = slug.replace(/-+/g, '-');
  if (slug.length <= 24 && slug === name) return slug.replace(/-$/, '');
  const suffix = BigInt(`0x${hexDigest(name)}`).toString(36).slice(-6);
  const short = slug.slice(0, 17);
  return `${short}${short.endsWith('-') ? '' : '-'}${suffix}`;
}

/**
 * GitLab's predefined variables, with GitLab's names and meanings, for every job of a
 * pipeline (the job's own name and stage are added per job). As in GitLab, a merge request
 * pipeline has `CI_MERGE_REQUEST_*` and no `CI_COMMIT_BRANCH`, so `rules` mean what they say.
 */
export function predefinedVariables(facts: PipelineFacts, place: JobPlace = { projectDir: PROJECT_DIR }): Record<string, string> {
  const branch = facts.ref.replace(/^refs\/heads\//, '');
  const inChangeRequest = facts.changeRequest !== null;
  const namespace = facts.project.split('/').slice(0, -1).join('/');
  return {
    CI: 'true',
    // Scripts and rules written for GitLab test this to know they run in CI.
    GITLAB_CI: 'true',
    CI_PIPELINE_ID: facts.id,
    CI_PIPELINE_SOURCE: inChangeRequest ? 'merge_request_event' : 'push',
    CI_PROJECT_PATH: facts.project,
    CI_PROJECT_NAME: facts.project.split('/').at(-1) ?? facts.project,
    CI_PROJECT_NAMESPACE: namespace,
    CI_PROJECT_DIR: place.projectDir,
    CI_COMMIT_SHA: facts.sha,
    CI_COMMIT_SHORT_SHA: facts.sha.slice(0, 8),
    CI_COMMIT_REF_NAME: branch,
    CI_COMMIT_REF_SLUG: refSlug(branch),
    ...(inChangeRequest
      ? { CI_MERGE_REQUEST_IID: String(facts.changeRequest), CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: branch, ...(facts.diffBase ? { CI_MERGE_REQUEST_TARGET_BRANCH_NAME: facts.diffBase } : {}) }
      : { CI_COMMIT_BRANCH: branch, CI_COMMIT_BEFORE_SHA: facts.diffBase ?? '0'.repeat(40) }),
    ...(facts.defaultBranch ? { CI_DEFAULT_BRANCH: facts.defaultBranch } : {}),
    CI_REGISTRY: facts.registry,
    CI_REGISTRY_IMAGE: `${facts.registry}/${repositoryPath(facts.project)}`,
    ...(place.jobToken
      ? { CI_REGISTRY_USER: JOB_TOKEN_USER, CI_REGISTRY_PASSWORD: place.jobToken, CI_JOB_TOKEN: place.jobToken }
      : {}),
  };
}

/**
 * Expands `$NAME` and `${NAME}` as GitLab does in `variables` and `image`; `$$` is a literal `$`.
 * An unknown name expands to nothing, as in a shell.
 */
export function expandVariables(text: string, variables: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced?: string, bare?: string) => {
    if (match === '$$') return '$';
    return variables[(braced ?? bare)!] ?? '';
  });
}

/** GitLab's guess of a tier from an environment's name, when `deployment_tier` names none. */
export function guessTier(name: string): string {
  if (/dev|review|trunk/i.test(name)) return 'development';
  if (/test|tst|int|ac(ce)?pt|qa|qc|control|quality/i.test(name)) return 'testing';
  if (/st(a)?g|mod(e)?l|pre|demo|non/i.test(name)) return 'staging';
  if (/pr(o)?d|live/i.test(name)) return 'production';
  return 'other';
}
