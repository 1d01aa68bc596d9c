import { seeOther, sendError, sendJson } from '../http/respond.js';
import type { Route } from '../http/router.js';
import { html, type SafeHtml } from './html.js';
import { page, sendPage, when } from './layout.js';
import { authenticate, checkCsrf, readForm, wantsJson, type WebContext } from './web-context.js';
import type { Viewer } from './viewer.js';

/**
 * Personal tokens for scripts: `Authorization: Bearer slp_…` acts as the person who made it,
 * with what their forge lets them do at each use. A token is shown once, when it is made.
 */
export function tokenRoutes(context: WebContext): Route[] {
  async function render(viewer: Viewer, made?: string): Promise<SafeHtml> {
    const tokens = await context.sessions.listTokens(viewer.identity);
    const csrf = html`<input type="hidden" name="csrf" value="${viewer.csrf ?? ''}">`;
    return page(
      'Tokens',
      viewer,
      html`<h1>Personal tokens</h1>${made ? html`<p>Your new token (it is not shown again): <code id="new-token">${made}</code></p>` : ''}
<form method="post" action="/tokens">${csrf}<label>Label <input name="label" required maxlength="100"></label> <button class="action">Make a token</button></form>
${tokens.length === 0 ? html`<p class="muted">You have no tokens.</p>` : html`<div class="table"><table><thead><tr><th>Label</th><th>Made</th><th>Last used</th><th></th></tr></thead><tbody>${tokens.map(
        (token) => html`<tr><td>${token.label}</td><td>${when(token.createdAt)}</td><td>${when(token.lastUsedAt)}</td><td><form class="inline" method="post" action="/tokens/${token.id}/revoke">${csrf}<button class="action">Revoke</button></form></td></tr>`,
      )}</tbody></table></div>`}`,
    );
  }

  return [
    {
      method: 'GET',
      path: '/tokens',
      async handle(request, response) {
        const viewer = await authenticate(request, response, context, false);
        if (!viewer) return;
        if (wantsJson(request)) return sendJson(response, 200, { tokens: await context.sessions.listTokens(viewer.identity) });
        sendPage(response, 200, await render(viewer));
      },
    },
    {
      method: 'POST',
      path: '/tokens',
      async handle(request, response) {
        const viewer = await authenticate(request, response, context, false);
        if (!viewer) return;
        const form = await readForm(request);
        if (!checkCsrf(request, response, viewer, form)) return;
        // A token cannot make tokens: one leaked token must not be turned into many.
        if (viewer.sessionToken === null) return sendError(response, 403, 'tokens are made from a logged-in browser session, at /tokens');
        const label = (form.label ?? '').trim();
        if (label === '' || label.length > 100) return sendError(response, 400, 'give the token a label of 1 to 100 characters (what script it is for)');
        const { token, id } = await context.sessions.createToken(viewer.identity, label);
        if (wantsJson(request)) return sendJson(response, 201, { id, token });
        sendPage(response, 201, await render(viewer, token));
      },
    },
    {
      method: 'POST',
      path: '/tokens/:id/revoke',
      async handle(request, response, params) {
        const viewer = await authenticate(request, response, context, false);
        if (!viewer) return;
        if (!checkCsrf(request, response, viewer, await readForm(request))) return;
        const id = Number(params.id);
        if (!Number.isSafeInteger(id) || !(await context.sessions.revokeToken(viewer.identity, id))) return sendError(response, 404, `you have no token #${params.id}`);
        if (wantsJson(request)) return sendJson(response, 200, { revoked: id });
        seeOther(response, '/tokens');
      },
    },
  ];
}
