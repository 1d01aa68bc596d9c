import type { IncomingMessage, ServerResponse } from 'node:http';
import { tokensMatch } from '../util/tokens-match.js';
import { sendError } from './respond.js';

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(request: IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
}

/** Whether `given` is SLIPWAY_ADMIN_TOKEN; never, when none is configured. The one place the admin token is compared. */
export function isAdminToken(adminToken: string | undefined, given: string | undefined): boolean {
  return Boolean(adminToken) && given !== undefined && tokensMatch(given, adminToken!);
}

/**
 * Lets a request through only with `Authorization: Bearer <SLIPWAY_ADMIN_TOKEN>`; answers it
 * otherwise and returns false. With no token configured nothing gets through: nothing is public by default.
 */
export function checkAdminToken(adminToken: string | undefined, request: IncomingMessage, response: ServerResponse): boolean {
  if (!adminToken) {
    sendError(response, 403, 'this API is off: set SLIPWAY_ADMIN_TOKEN on the server and send it as Authorization: Bearer <token>');
    return false;
  }
  if (!isAdminToken(adminToken, bearerToken(request))) {
    response.setHeader('www-authenticate', 'Bearer');
    sendError(response, 401, 'send the admin token as Authorization: Bearer <SLIPWAY_ADMIN_TOKEN>');
    return false;
  }
  return true;
}
