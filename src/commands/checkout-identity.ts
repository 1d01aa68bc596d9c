import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function git(dir: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['-C', dir, ...args]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A SHA-1 over every file's path and bytes (not .git), for folders that are not git checkouts. */
export async function contentHash(dir: string): Promise<string> {
  const hash = createHash('sha1');
  const walk = async (folder: string): Promise<void> => {
    const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name === '.git') continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) hash.update(`${path.relative(dir, full)}\0`).update(await readFile(full)).update('\0');
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

export interface CheckoutIdentity {
  sha: string;
  ref: string;
}

/** The commit and branch of a checkout: HEAD when DIR is in git, a content hash otherwise. */
export async function checkoutIdentity(dir: string): Promise<CheckoutIdentity> {
  const sha = await git(dir, ['rev-parse', 'HEAD']);
  const branch = await git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']);
  return {
    sha: sha ?? (await contentHash(dir)),
    ref: branch && branch !== 'HEAD' ? branch : 'local',
  };
}
