import type { z } from 'zod';
import type { ForgeEvent } from '../model/forge-event.js';

/** What a webhook body turned out to be: something to act on, something to ignore (and why), or garbage. */
export type ParsedWebhook =
  | { kind: 'event'; event: ForgeEvent }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

/** The payload's fields Slipway needs, or the `invalid` answer naming what is wrong with `what`. */
export function parsePayload<T>(schema: z.ZodType<T>, what: string, payload: unknown): { ok: true; data: T } | { ok: false; answer: ParsedWebhook } {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, data: parsed.data };
  const problems = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || 'body'} ${issue.message}`)
    .join('; ');
  return { ok: false, answer: { kind: 'invalid', reason: `${what}: ${problems}` } };
}

export const ZERO_SHA = /^0{40}$/;
