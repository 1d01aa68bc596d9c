import { readdirSync } from 'node:fs';
import path from 'node:path';
import { compileSafeRegex, type SafeRegex } from './safe-regex.js';

/** GitLab's own bound: past this many files, a patterned `exists` rule simply matches. */
export const MAX_EXISTS_CHECKS = 10_000;

/**
 * A glob as GitLab's `rules:exists` reads it (Ruby's fnmatch with PATHNAME, DOTMATCH and
 * EXTGLOB): `*` and `?` stay within one folder, `**\/` crosses any number, `{a,b}` is either,
 * `[…]` a class. Run on RE2, so no pattern can backtrack.
 */
export function globRegex(glob: string): SafeRegex {
  let source = '';
  let braces = 0;
  for (let at = 0; at < glob.length; at += 1) {
    const char = glob[at]!;
    if (char === '*' && glob[at + 1] === '*' && glob[at + 2] === '/') {
      source += '(?:.*/)?';
      at += 2;
    } else if (char === '*' && glob[at + 1] === '*') {
      source += '.*';
      at += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '{') {
      braces += 1;
      source += '(?:';
    } else if (char === '}' && braces > 0) {
      braces -= 1;
      source += ')';
    } else if (char === ',' && braces > 0) source += '|';
    else if (char === '[') {
      const end = glob.indexOf(']', at + 1);
      if (end === -1) source += '\\[';
      else {
        source += `[${glob.slice(at + 1, end).replace(/^!/, '^')}]`;
        at = end;
      }
    } else source += char.replace(/[.+^$()|\\{}]/g, '\\$&');
  }
  return compileSafeRegex(`^${source}$`);
}

/** Every file of a checkout as a relative path, `.git` left out, at most `limit` of them. */
export function listCheckout(root: string, limit = MAX_EXISTS_CHECKS + 1): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(path.join(root, folder), { withFileTypes: true })) {
      if (files.length >= limit) return;
      const relative = folder ? `${folder}/${entry.name}` : entry.name;
      if (relative === '.git') continue;
      // Links are not followed: a checkout's links may point anywhere, and GitLab looks at the tree.
      if (entry.isDirectory()) walk(relative);
      else files.push(relative);
    }
  };
  walk('');
  return files;
}

/** Whether any file of the checkout matches any of the patterns, with GitLab's bound on the work. */
export function existsIn(files: readonly string[]): (patterns: readonly string[]) => boolean {
  return (patterns) => {
    if (files.length > MAX_EXISTS_CHECKS) return true;
    const regexes = patterns.map((pattern) => globRegex(pattern.replace(/^\/+/, '')));
    return files.some((file) => regexes.some((regex) => regex.test(file)));
  };
}
