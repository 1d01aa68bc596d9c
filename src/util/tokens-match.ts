import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time comparison of a secret a caller sent with the one expected, whatever their
 * lengths: compared as digests so neither the length nor the content leaks through timing.
 */
export function tokensMatch(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
