import { RegistryEventsSchema, type RegistryGuard } from '../runner/guard-registry-pushes.js';
import { tokensMatch } from '../util/tokens-match.js';
import { readBody } from './read-body.js';
import { sendError, sendJson } from './respond.js';
import type { Route } from './router.js';

export const REGISTRY_EVENTS_PATH = '/registry/events';

/**
 * `POST /registry/events`: the registry's push notifications (its config's `notifications:`
 * endpoint, sending `Authorization: Bearer <SLIPWAY_REGISTRY_EVENTS_TOKEN>`). A failure answers
 * 5xx, and the registry sends the events again; a redelivered event is recorded once.
 */
export function registryEventsRoute(token: string, guard: RegistryGuard): Route {
  return {
    method: 'POST',
    path: REGISTRY_EVENTS_PATH,
    async handle(request, response) {
      const presented = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (!presented || !tokensMatch(presented, token)) {
        response.setHeader('connection', 'close');
        return sendError(response, 401, 'the registry must send Authorization: Bearer <SLIPWAY_REGISTRY_EVENTS_TOKEN> (headers: in its notifications endpoint)');
      }
      let body: unknown;
      try {
        body = JSON.parse((await readBody(request)).toString('utf8'));
      } catch {
        return sendError(response, 400, 'the body is not valid JSON');
      }
      const parsed = RegistryEventsSchema.safeParse(body);
      if (!parsed.success) return sendError(response, 400, `not a registry notification: ${parsed.error.issues[0]?.path.join('.') || 'body'} ${parsed.error.issues[0]?.message}`);
      await guard(parsed.data);
      sendJson(response, 200, { received: parsed.data.events.length });
    },
  };
}
