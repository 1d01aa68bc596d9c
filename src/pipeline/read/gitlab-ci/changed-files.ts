import { globRegex } from '../../../util/checkout-globs.js';
import type { Checkout } from './job-filters.js';
import { IncludesNeeded, requestKey, type FetchedInclude } from './resolve-includes.js';

const UNKNOWN = /^0*$/;

/**
 * `rules:changes` as GitLab decides it: a merge request's files are compared with its target
 * branch, a push's with the commit before it, or either with `compare_to`. With nothing to
 * compare with (a new branch, a local run) every `changes` holds, as in GitLab. The lists come
 * from the forge through `fetched`; one not fetched yet is asked for (IncludesNeeded), and one
 * the forge could not give counts as changed, with a note saying so.
 */
export function changedFiles(variables: Record<string, string>, fetched: ReadonlyMap<string, FetchedInclude>): Required<Pick<Checkout, 'changed' | 'notes'>> {
  const failures = new Map<string, string>();
  return {
    changed(patterns, compareTo) {
      const base = compareTo ?? (variables.CI_PIPELINE_SOURCE === 'merge_request_event' ? variables.CI_MERGE_REQUEST_TARGET_BRANCH_NAME : variables.CI_COMMIT_BEFORE_SHA);
      if (base === undefined || UNKNOWN.test(base)) return true;
      const answer = fetched.get(requestKey({ kind: 'changes', base }));
      if (answer === undefined) throw new IncludesNeeded([{ kind: 'changes', base }]);
      if ('error' in answer) {
        failures.set(base, answer.error);
        return true;
      }
      const files = answer.text.split('\n').filter((file) => file !== '');
      const regexes = patterns.map((pattern) => globRegex(pattern.replace(/^\/+/, '')));
      return files.some((file) => regexes.some((regex) => regex.test(file)));
    },
    notes: () => [...failures].map(([base, error]) => `\`rules:changes\` could not compare with ${base} (${error}), so its rules were taken to match.`),
  };
}
