import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseCookies, serialize } from 'cookie';
import type { WebIdentity, WebSessionStore } from '../store/web-session-store.js';
import { bearerToken, isAdminToken } from '../http/admin-token.js';

export const SESSION_COOKIE = 'slipway_session';

/** Who is asking: a forge user or the admin, by session cookie or by bearer token. */
export interface Viewer {
  identity: WebIdentity;
  /** The session's CSRF token; null for bearer tokens, which a browser never sends by itself. */
  csrf: string | null;
  /** The cookie's value, to end the session. */
  sessionToken: string | null;
}

export const isAdmin = (viewer: Viewer) => viewer.identity.forge === null;

export const ADMIN_IDENTITY: WebIdentity = { forge: null, userId: 'admin', login: 'admin' };

export interface ViewerOptions {
  sessions: WebSessionStore;
  adminToken: string | undefined;
}

export async function viewerOf(request: IncomingMessage, options: ViewerOptions): Promise<Viewer | null> {
  const bearer = bearerToken(request);
  if (bearer !== undefined) {
    if (isAdminToken(options.adminToken, bearer)) return { identity: ADMIN_IDENTITY, csrf: null, sessionToken: null };
    const identity = bearer.startsWith('slp_') ? await options.sessions.findToken(bearer) : null;
    return identity ? { identity, csrf: null, sessionToken: null } : null;
  }
  const token = parseCookies(request.headers.cookie ?? '')[SESSION_COOKIE];
  if (!token || token.length > 200) return null;
  const session = await options.sessions.get(token);
  return session ? { identity: session, csrf: session.csrf, sessionToken: token } : null;
}

export interface CookieOptions {
  secure: boolean;
  maxAgeSeconds?: number;
  /** Lax for the session (it must come back from the forge's redirect); Strict would drop it there. */
  sameSite?: 'lax' | 'strict';
}

export function setCookie(response: ServerResponse, name: string, value: string, options: CookieOptions): void {
  const cookie = serialize(name, value, { httpOnly: true, sameSite: options.sameSite ?? 'lax', secure: options.secure, path: '/', maxAge: options.maxAgeSeconds });
  const existing = response.getHeader('set-cookie');
  response.setHeader('set-cookie', [...(Array.isArray(existing) ? existing : existing ? [String(existing)] : []), cookie]);
}

export const readCookie = (request: IncomingMessage, name: string): string | undefined => parseCookies(request.headers.cookie ?? '')[name];
