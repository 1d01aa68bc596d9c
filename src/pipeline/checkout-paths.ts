import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { PipelineFileError } from './pipeline-file-error.js';

/** The most a pipeline file may weigh: real ones are a few KiB. */
export const MAX_PIPELINE_FILE_BYTES = 1024 * 1024;

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

/**
 * A pipeline file's text, refused when it is a link out of the checkout, not a regular file, or
 * too large. Synchronous: it runs on the plan-reading thread, or in the one-shot CLI.
 */
export function readCheckoutFile(root: string, name: string): string | undefined {
  let resolved: string | undefined;
  try {
    resolved = resolveInCheckout(root, name);
  } catch (error) {
    throw new PipelineFileError(name, [(error as Error).message]);
  }
  if (resolved === undefined) return undefined;
  const info = lstatSync(resolved);
  if (!info.isFile()) throw new PipelineFileError(name, ['is not a regular file']);
  if (info.size > MAX_PIPELINE_FILE_BYTES) throw new PipelineFileError(name, [`is ${info.size} bytes; a pipeline file may be at most ${MAX_PIPELINE_FILE_BYTES}`]);
  return readFileSync(resolved, 'utf8');
}
