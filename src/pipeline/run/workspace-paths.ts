import { globRegex } from '../../util/checkout-globs.js';
import type { SafeRegex } from '../../util/safe-regex.js';

/** Which files of a job's workspace an `artifacts` or `cache` entry keeps. */
export interface PathSelection {
  paths: string[];
  exclude?: string[];
  /** Also files the job made, that are not in the commit. */
  untracked: boolean;
}

const normalise = (pattern: string) => pattern.replace(/^\.\/+|^\/+/, '').replace(/\/+$/, '');
const WILDCARD = /[*?[{]/;

/**
 * Matches a path as GitLab's artifact and cache paths do: a pattern naming a folder keeps
 * everything under it, so `dist/` and `dist` both keep `dist/app.js`.
 */
function matcher(patterns: readonly string[]): (path: string) => boolean {
  const regexes: SafeRegex[] = patterns.map((pattern) => globRegex(normalise(pattern)));
  return (path) => {
    const parts = path.split('/');
    for (let depth = parts.length; depth > 0; depth -= 1) {
      const prefix = parts.slice(0, depth).join('/');
      if (regexes.some((regex) => regex.test(prefix))) return true;
    }
    return false;
  };
}

/** Whether a file (a path relative to the workspace) is kept; `tracked` are the commit's own files. */
export function selectPaths(selection: PathSelection, tracked: ReadonlySet<string>): (path: string) => boolean {
  const included = matcher(selection.paths);
  const excluded = matcher(selection.exclude ?? []);
  return (path) => (included(path) || (selection.untracked && !tracked.has(path))) && !excluded(path);
}

/**
 * The folders to read from the workspace to find every file `selection` may keep: each
 * pattern's part before its first wildcard, or the whole workspace (`''`) when untracked
 * files count or a pattern starts with one. Nested folders are read once, through their parent.
 */
export function foldersToRead(selection: PathSelection): string[] {
  if (selection.untracked) return [''];
  const roots = selection.paths.map((pattern) => {
    const parts = normalise(pattern).split('/');
    const literal = parts.findIndex((part) => WILDCARD.test(part));
    return (literal === -1 ? parts : parts.slice(0, literal)).join('/');
  });
  if (roots.includes('')) return [''];
  return [...new Set(roots)].filter((root, _, all) => !all.some((other) => other !== root && root.startsWith(`${other}/`))).sort();
}
