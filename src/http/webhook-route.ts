import type { ParsedWebhook } from '../forges/parse-result.js';
import type { WebhookSource } from '../forges/webhook-source.js';
import type { Dispatch, HandleCommand } from '../model/dispatch.js';
import { readBody } from './read-body.js';
import { sendError, sendJson } from './respond.js';
import type { Route } from './router.js';

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** A hook the forge contradicted: recorded for whoever audits the installation. */
export type OnRefusedWebhook = (refusal: { source: string; deliveryId: string; event: string; claimed: ParsedWebhook; reason: string }) => Promise<void>;

/**
 * A forge's webhook endpoint: 401 for an inauthentic request (nothing recorded), 400 for a body
 * that is not JSON or not the documented shape, 403 for one the forge contradicts, 503 when the
 * forge cannot be asked, 202 for what is ignored, queued or commanded, 200 for a redelivery.
 */
export function webhookRoute(source: WebhookSource, dispatch: Dispatch, command: HandleCommand, refused: OnRefusedWebhook): Route {
  return {
    method: 'POST',
    path: source.path,
    async handle(request, response) {
      const early = await source.authenticateHeaders?.(request);
      if (early) {
        // The body is never read: the connection cannot carry another request.
        response.setHeader('connection', 'close');
        return sendError(response, 401, early.reason);
      }
      const body = await readBody(request);
      const refusal = await source.authenticate(request, body);
      if (refusal) return sendError(response, 401, refusal.reason);
      const identity = source.identify(request, body);
      if ('reason' in identity) return sendError(response, 400, identity.reason);
      const json = parseJson(body);
      if (!json.ok) return sendError(response, 400, 'the body is not valid JSON');
      const claimed = source.parse(identity.name, identity.deliveryId, json.value);
      if (claimed.kind === 'invalid') return sendError(response, 400, claimed.reason);
      let parsed: ParsedWebhook = claimed;
      try {
        parsed = source.verify ? await source.verify(claimed, request) : claimed;
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        return sendError(response, 503, `the forge could not be asked to confirm this hook (${why}); it will be delivered again`);
      }
      if (parsed.kind === 'refused') {
        await refused({ source: source.path, deliveryId: identity.deliveryId, event: identity.name, claimed, reason: parsed.reason });
        return sendError(response, 403, parsed.reason);
      }
      if (parsed.kind === 'invalid') return sendError(response, 400, parsed.reason);
      if (parsed.kind === 'ignored') return sendJson(response, 202, { outcome: 'ignored', reason: parsed.reason });
      if (parsed.kind === 'command') {
        const done = await command(parsed.command);
        return sendJson(response, done.outcome === 'duplicate' ? 200 : 202, done);
      }
      const outcome = await dispatch(parsed.event);
      sendJson(response, outcome.outcome === 'duplicate' ? 200 : 202, outcome);
    },
  };
}
