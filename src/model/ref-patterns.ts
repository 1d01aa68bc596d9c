/** GitLab's protected-branch wildcards: `*` stands for any run of characters, `/` included. */
function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** Does `ref` match one of the patterns (`main`, `release/*`)? */
export function matchesRef(ref: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => wildcard(pattern).test(ref));
}
