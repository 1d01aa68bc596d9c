import type { ServerResponse } from 'node:http';
import { sendError, sendJson } from '../http/respond.js';
import type { Dispatch } from '../pipeline/dispatch-event.js';
import type { ParsedWebhook } from './parse-result.js';

/** The same answers for both forges: 400 for garbage, 202 for what is ignored or queued, 200 for a redelivery. */
export async function answerWebhook(parsed: ParsedWebhook, dispatch: Dispatch, response: ServerResponse): Promise<void> {
  if (parsed.kind === 'invalid') return sendError(response, 400, parsed.reason);
  if (parsed.kind === 'ignored') return sendJson(response, 202, { outcome: 'ignored', reason: parsed.reason });
  const outcome = await dispatch(parsed.event);
  sendJson(response, outcome.outcome === 'duplicate' ? 200 : 202, outcome);
}

export function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}
