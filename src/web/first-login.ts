import { randomBytes } from 'node:crypto';
import { tokensMatch } from '../util/tokens-match.js';

/**
 * A server started with no login at all (no forge login, no SLIPWAY_ADMIN_TOKEN) would lock
 * everyone out. It gets one admin sign-in instead: a link printed at start-up that works once,
 * for this process only, so the first person at the console can get in and set a lasting login.
 */
export interface FirstLogin {
  /** The path with its one-time token, to print after the public URL. */
  path: string;
  /** True once, for the right token; false after that, or for any other. */
  take(token: string | undefined): boolean;
}

export function createFirstLogin(): FirstLogin {
  const token = randomBytes(24).toString('hex');
  let used = false;
  return {
    path: `/login/once?token=${token}`,
    take(offered) {
      if (used || offered === undefined || !tokensMatch(offered, token)) return false;
      used = true;
      return true;
    },
  };
}
