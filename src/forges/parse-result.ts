import type { ForgeEvent } from './forge.js';

/** What a webhook body turned out to be: something to act on, something to ignore (and why), or garbage. */
export type ParsedWebhook =
  | { kind: 'event'; event: ForgeEvent }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

export function describeZodError(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || 'body'} ${issue.message}`)
    .join('; ');
}

export const ZERO_SHA = /^0{40}$/;
