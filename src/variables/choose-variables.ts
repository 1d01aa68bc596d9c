import type { PipelineFacts } from '../model/pipeline-facts.js';
import { isForkRef, matchesRef } from '../model/ref-patterns.js';
import type { CiVariable } from './variable-rules.js';


/**
 * The patterns a pipeline's ref is protected by: the server policy's `protectedRefs` for its
 * project, and the forge's own protected branches as the pipeline was accepted with them.
 */
export function protectedPatterns(policyRefs: readonly string[], facts: Pick<PipelineFacts, 'forgeProtectedRefs'>): string[] {
  return [...policyRefs, ...facts.forgeProtectedRefs];
}

/** The default branch and the project's `protectedRefs` patterns are protected; nothing else is. */
export function isProtectedRef(ref: string, defaultBranch: string | null, patterns: readonly string[]): boolean {
  if (isForkRef(ref)) return false;
  return ref === defaultBranch || matchesRef(ref, patterns);
}

/**
 * Which caches a pipeline shares, as GitLab keeps protected refs' caches apart: a fork's code,
 * or any unprotected branch, must never write a cache a protected pipeline (with its secrets) restores.
 */
export function cacheScope(facts: Pick<PipelineFacts, 'fromFork' | 'ref' | 'defaultBranch'>, protectedRefs: readonly string[]): 'fork' | 'protected' | 'unprotected' {
  if (facts.fromFork) return 'fork';
  return isProtectedRef(facts.ref, facts.defaultBranch, protectedRefs) ? 'protected' : 'unprotected';
}

/**
 * The variables a pipeline's jobs get: none for a fork (its code is not the project's), no
 * protected ones on an unprotected ref, and none scoped to an environment (those go to deploys).
 */
export function variablesForPipeline(variables: readonly CiVariable[], facts: Pick<PipelineFacts, 'fromFork' | 'ref' | 'defaultBranch'>, protectedRefs: readonly string[]): CiVariable[] {
  if (facts.fromFork) return [];
  const isProtected = isProtectedRef(facts.ref, facts.defaultBranch, protectedRefs);
  return variables.filter((variable) => variable.environment === '' && (isProtected || !variable.protected));
}

/** The variables of one environment's deploy action; protected ones only when the commit was tested on a protected ref. */
export function variablesForDeploy(variables: readonly CiVariable[], environment: string, refIsProtected: boolean): CiVariable[] {
  return variables.filter((variable) => variable.environment === environment && (refIsProtected || !variable.protected));
}
