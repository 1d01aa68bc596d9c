import type { IncomingMessage } from 'node:http';
import { readBody } from '../http/read-body.js';
import { sendError, sendJson } from '../http/respond.js';
import type { Route } from '../http/router.js';
import type { Dispatch } from '../pipeline/dispatch-event.js';
import type { ParsedWebhook } from './parse-result.js';

/** What differs between forges' webhooks; the flow around it is the same for all. */
export interface WebhookSource {
  path: string;
  /**
   * Where the forge authenticates with a header alone (GitLab's token), the check runs before
   * a byte of the body is read; undefined when the request is authentic, otherwise why not (401).
   */
  authenticateHeaders?(request: IncomingMessage): string | undefined;
  /** Undefined when the request is authentic; otherwise why not (answered with 401). */
  authenticate(request: IncomingMessage, body: Buffer): Promise<string | undefined> | string | undefined;
  /** The event name and delivery id, or the reason they are missing (answered with 400). */
  identify(request: IncomingMessage, body: Buffer): { name: string; deliveryId: string } | string;
  parse(name: string, deliveryId: string, payload: unknown): ParsedWebhook;
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/**
 * A forge's webhook endpoint: 401 for an inauthentic request (nothing recorded), 400 for a body
 * that is not JSON or not the documented shape, 202 for what is ignored or queued, 200 for a redelivery.
 */
export function webhookRoute(source: WebhookSource, dispatch: Dispatch): Route {
  return {
    method: 'POST',
    path: source.path,
    async handle(request, response) {
      const early = source.authenticateHeaders?.(request);
      if (early) {
        // The body is never read: the connection cannot carry another request.
        response.setHeader('connection', 'close');
        return sendError(response, 401, early);
      }
      const body = await readBody(request);
      const refusal = await source.authenticate(request, body);
      if (refusal) return sendError(response, 401, refusal);
      const identity = source.identify(request, body);
      if (typeof identity === 'string') return sendError(response, 400, identity);
      const json = parseJson(body);
      if (!json.ok) return sendError(response, 400, 'the body is not valid JSON');
      const parsed = source.parse(identity.name, identity.deliveryId, json.value);
      if (parsed.kind === 'invalid') return sendError(response, 400, parsed.reason);
      if (parsed.kind === 'ignored') return sendJson(response, 202, { outcome: 'ignored', reason: parsed.reason });
      const outcome = await dispatch(parsed.event);
      sendJson(response, outcome.outcome === 'duplicate' ? 200 : 202, outcome);
    },
  };
}
