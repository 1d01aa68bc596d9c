import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { processIsGone } from '../executors/owner-label.js';

/** `slipway-src-<pid>-<pipeline>-XXXXXX`: the owner's process id lets any process on this machine clean up after a dead one. */
export const SOURCE_DIR_PREFIX = 'slipway-src-';

/** Removes checkouts whose worker process no longer exists; returns their names. */
export async function removeDeadSourceFolders(root: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(root)) {
    const match = new RegExp(`^${SOURCE_DIR_PREFIX}(\\d+)-`).exec(name);
    if (!match || !processIsGone(Number(match[1]))) continue;
    await rm(path.join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
