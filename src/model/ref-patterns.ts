/** GitLab's protected-branch wildcards: `*` stands for any run of characters, `/` included. */
function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/**
 * A fork's branch is recorded as `owner:branch`. Git forbids `:` in a ref name, so no branch
 * of the project itself can look like one, and no pattern (not even `*`) may match it.
 */
export function isForkRef(ref: string): boolean {
  return ref.includes(':');
}

/** `owner:branch`, how a fork's branch is named wherever Slipway records or shows it. */
export function forkRef(owner: string, branch: string): string {
  return `${owner}:${branch}`;
}

/** Does `ref` match one of the patterns (`main`, `release/*`)? A fork's branch never does. */
export function matchesRef(ref: string, patterns: readonly string[]): boolean {
  return !isForkRef(ref) && matchesPattern(ref, patterns);
}

/** Does a name (an environment's, `review/feature-x`) match one of the patterns (`review/*`)? */
export function matchesPattern(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => wildcard(pattern).test(name));
}

/** Where the forge's own protected branches travel with a pipeline (its forge context), one per line. */
export const PROTECTED_BRANCHES_KEY = 'protectedBranches';

/** The forge's protected branches a pipeline was accepted with (as verified with the forge); none when it said none. */
export function forgeProtectedRefs(apiContext: Record<string, string | number>): string[] {
  const listed = apiContext[PROTECTED_BRANCHES_KEY];
  return typeof listed === 'string' ? listed.split('\n').filter(Boolean) : [];
}
