import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './respond.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Lets a request through only with `Authorization: Bearer <SLIPWAY_ADMIN_TOKEN>`; answers it
 * otherwise and returns false. With no token configured nothing gets through: nothing is public by default.
 */
export function checkAdminToken(adminToken: string | undefined, request: IncomingMessage, response: ServerResponse): boolean {
  if (!adminToken) {
    sendError(response, 403, 'this API is off: set SLIPWAY_ADMIN_TOKEN on the server and send it as Authorization: Bearer <token>');
    return false;
  }
  const given = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  // Compared as digests so neither the length nor the content leaks through timing.
  if (given === undefined || !timingSafeEqual(digest(given), digest(adminToken))) {
    response.setHeader('www-authenticate', 'Bearer');
    sendError(response, 401, 'send the admin token as Authorization: Bearer <SLIPWAY_ADMIN_TOKEN>');
    return false;
  }
  return true;
}
