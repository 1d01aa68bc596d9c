import type { Forges } from '../forges/create-forges.js';
import type { Dispatch, HandleCommand } from '../model/dispatch.js';
import { sendError } from './respond.js';
import type { Route } from './router.js';
import { webhookRoute, type OnRefusedWebhook } from './webhook-route.js';

/** A route for something this server was not configured for: says what to set. */
export function notConfigured(path: string, message: string, method: Route['method'] = 'POST'): Route {
  return { method, path, handle: (_request, response) => sendError(response, 404, message) };
}

/** Every forge's webhook endpoint, mounted the same way; unconfigured forges say what to set. */
export function webhookRoutes(forges: Forges, dispatch: Dispatch, command: HandleCommand, refused: OnRefusedWebhook): Route[] {
  return [...forges.webhooks.map((source) => webhookRoute(source, dispatch, command, refused)), ...forges.unconfigured.map((source) => notConfigured(source.path, source.message))];
}
