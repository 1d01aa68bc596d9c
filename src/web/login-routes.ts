import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../http/router.js';
import { seeOther, sendError } from '../http/respond.js';
import type { ForgeLogin } from '../forges/forge-login.js';
import { loginPrompt, page, sendPage } from './layout.js';
import { html } from './html.js';
import { authenticate, checkCsrf, readForm, secureCookies, type WebContext } from './web-context.js';
import { ADMIN_IDENTITY, readCookie, SESSION_COOKIE, setCookie } from './viewer.js';
import { tokensMatch } from '../util/tokens-match.js';
import { isAdminToken } from '../http/admin-token.js';

const STATE_COOKIE = 'slipway_login_state';

const ORIGIN = 'http://slipway.invalid';

/**
 * Only a path of this site: `next` must not send anyone elsewhere after logging in. It is read
 * as a browser reads a Location (which drops tabs and newlines, so `/\t/evil` is `//evil`) and
 * kept only if it stays on this origin; anything else, or anything unreadable, goes to `/`.
 */
export function localPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || /[\u0000-\u0020\u007f\\]/.test(next)) return '/';
  try {
    const resolved = new URL(next, ORIGIN);
    return resolved.origin === ORIGIN ? `${resolved.pathname}${resolved.search}${resolved.hash}` : '/';
  } catch {
    return '/';
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return '/';
  }
}

async function startSession(response: ServerResponse, context: WebContext, identity: Parameters<WebContext['sessions']['create']>[0], next: string): Promise<void> {
  const { token } = await context.sessions.create(identity, context.sessionSeconds);
  setCookie(response, SESSION_COOKIE, token, { secure: secureCookies(context), maxAgeSeconds: context.sessionSeconds });
  seeOther(response, next);
}

const callbackUrl = (context: WebContext, login: ForgeLogin) => `${context.publicUrl}/login/${login.forge}/callback`;

/** `GET /login/once?token=…`: the one-time admin sign-in of a server with no login configured (see `createFirstLogin`). */
function firstLoginRoute(context: WebContext): Route {
  return {
    method: 'GET',
    path: '/login/once',
    async handle(request, response) {
      const token = new URL(request.url ?? '/', 'http://slipway').searchParams.get('token') ?? undefined;
      if (!context.firstLogin?.take(token)) {
        return sendPage(response, 401, page('Log in', null, html`<h1>That link does not work</h1><p class="error">A one-time sign-in link works once, from the server that printed it: restart Slipway for a new one, or set SLIPWAY_ADMIN_TOKEN (or a forge login) for a lasting one.</p>`));
      }
      await startSession(response, context, ADMIN_IDENTITY, '/');
    },
  };
}

/** Logging in with a forge (OAuth, `state` checked against a cookie) or the admin token, and out. */
export function loginRoutes(context: WebContext): Route[] {
  const loginOf = (forge: string | undefined) => context.logins.find((login) => login.forge === forge);
  const query = (request: IncomingMessage) => new URL(request.url ?? '/', 'http://slipway').searchParams;

  return [
    {
      method: 'GET',
      path: '/login',
      handle(request, response) {
        sendPage(response, 200, loginPrompt(context.logins, Boolean(context.adminToken), localPath(query(request).get('next')), Boolean(context.firstLogin)));
      },
    },
    // Before /login/:forge, which would take `once` for a forge.
    firstLoginRoute(context),
    {
      method: 'GET',
      path: '/login/:forge',
      handle(request, response, params) {
        const login = loginOf(params.forge);
        if (!login) return sendError(response, 404, `logging in with ${params.forge} is not configured on this server`);
        const state = randomBytes(24).toString('base64url');
        // The state travels to the forge and back; the cookie proves the browser that comes back started here.
        setCookie(response, STATE_COOKIE, `${state}.${encodeURIComponent(localPath(query(request).get('next')))}`, { secure: secureCookies(context), maxAgeSeconds: 600 });
        seeOther(response, login.authorizeUrl(state, callbackUrl(context, login)));
      },
    },
    {
      method: 'GET',
      path: '/login/:forge/callback',
      async handle(request, response, params) {
        const login = loginOf(params.forge);
        if (!login) return sendError(response, 404, `logging in with ${params.forge} is not configured on this server`);
        const search = query(request);
        const started = readCookie(request, STATE_COOKIE) ?? '';
        const dot = started.indexOf('.');
        const expected = dot < 0 ? '' : started.slice(0, dot);
        const next = dot < 0 ? '/' : safeDecode(started.slice(dot + 1));
        const state = search.get('state');
        if (!expected || !state || !tokensMatch(state, expected)) return sendError(response, 400, 'this login did not start here (its state does not match): start again at /login');
        setCookie(response, STATE_COOKIE, '', { secure: secureCookies(context), maxAgeSeconds: 0 });
        const code = search.get('code');
        if (!code) return sendError(response, 400, `${login.label} sent no code back${search.get('error') ? `: ${search.get('error_description') ?? search.get('error')}` : ''}; start again at /login`);
        let user;
        try {
          user = await login.identify(code, callbackUrl(context, login));
        } catch (error) {
          context.logger.warn({ err: error, forge: login.forge }, 'a login was refused');
          return sendError(response, 401, `${login.label} did not confirm who you are; start again at /login`);
        }
        await startSession(response, context, { forge: login.forge, userId: user.id, login: user.login }, localPath(next));
      },
    },
    {
      method: 'POST',
      path: '/login/admin',
      async handle(request, response) {
        const form = await readForm(request);
        if (!context.adminToken) return sendError(response, 404, 'there is no admin login on this server: set SLIPWAY_ADMIN_TOKEN');
        if (!isAdminToken(context.adminToken, form.token || undefined)) return sendError(response, 401, 'that is not the admin token (SLIPWAY_ADMIN_TOKEN)');
        await startSession(response, context, ADMIN_IDENTITY, localPath(form.next));
      },
    },
    {
      method: 'POST',
      path: '/logout',
      async handle(request, response) {
        const viewer = await authenticate(request, response, context, false);
        if (!viewer) return;
        if (!checkCsrf(request, response, viewer, await readForm(request))) return;
        if (viewer.sessionToken) await context.sessions.end(viewer.sessionToken);
        setCookie(response, SESSION_COOKIE, '', { secure: secureCookies(context), maxAgeSeconds: 0 });
        seeOther(response, '/login');
      },
    },
  ];
}
