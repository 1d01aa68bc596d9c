import { lstatSync, readFileSync } from 'node:fs';
import { resolveInCheckout } from '../../util/checkout-paths.js';
import { PipelineFileError } from './pipeline-file-error.js';

/** The most a pipeline file may weigh: real ones are a few KiB. */
export const MAX_PIPELINE_FILE_BYTES = 1024 * 1024;

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
