import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * A path a pipeline file names (build context, Dockerfile), as a relative path that stays in
 * the checkout; undefined when it is absolute or climbs out with `..`.
 */
export function insideCheckout(relative: string): string | undefined {
  if (relative.includes('\0') || path.posix.isAbsolute(relative) || path.win32.isAbsolute(relative)) return undefined;
  const normalized = path.posix.normalize(relative.replace(/\\/g, '/'));
  if (normalized === '..' || normalized.startsWith('../')) return undefined;
  return normalized;
}

/**
 * Resolves `relative` in `root` through any links and checks the result is still inside
 * `root` (the archive is unpacked without escaping links, but a check here costs nothing).
 * Undefined when the path does not exist.
 */
export function resolveInCheckout(root: string, relative: string): string | undefined {
  const lexical = insideCheckout(relative);
  if (lexical === undefined) throw new Error(`${relative} is outside the repository`);
  const realRoot = realpathSync(root);
  let resolved: string;
  try {
    resolved = realpathSync(path.join(realRoot, lexical));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (resolved !== realRoot && !resolved.startsWith(`${realRoot}${path.sep}`)) throw new Error(`${relative} leads outside the repository`);
  return resolved;
}
