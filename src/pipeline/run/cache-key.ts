import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolveInCheckout } from '../../util/checkout-paths.js';
import type { CacheSpec } from '../plan.js';
import { expandVariables } from '../predefined-variables.js';

/**
 * A cache's key as the job sees it: text with its variables expanded, or for `key:files` a
 * hash of those files' contents in the commit (GitLab uses the commit that last changed them;
 * the contents decide the same thing without the history), behind the optional prefix.
 */
export function cacheKey(key: CacheSpec['key'], sourceDir: string, env: Record<string, string>): string {
  if (typeof key === 'string') return expandVariables(key, env).trim() || 'default';
  const hash = createHash('sha256');
  for (const file of key.files) {
    hash.update(`${file}\0`);
    try {
      const resolved = resolveInCheckout(sourceDir, expandVariables(file, env));
      if (resolved !== undefined) hash.update(readFileSync(resolved));
    } catch {
      // A missing file (or one outside the checkout) hashes as absent, so adding it later changes the key.
    }
  }
  const digest = hash.digest('hex').slice(0, 40);
  return key.prefix ? `${expandVariables(key.prefix, env)}-${digest}` : digest;
}
