import type { ServerResponse } from 'node:http';
import type { ForgeLogin } from '../forges/forge-login.js';
import { sendText } from '../http/respond.js';
import { html, raw, type SafeHtml } from './html.js';
import type { Viewer } from './viewer.js';

const STYLE = `
*{box-sizing:border-box}body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1f2328;background:#fff}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;padding:.6rem 1rem;background:#24292f;color:#fff}
header a{color:#fff;text-decoration:none}header .who{margin-left:auto;display:flex;gap:.75rem;align-items:center}
header form{margin:0}header button{background:none;border:1px solid #8c959f;color:#fff;border-radius:4px;padding:.1rem .5rem;cursor:pointer}
main{max-width:72rem;margin:1rem auto;padding:0 1rem}h1{font-size:1.4rem;margin:.5rem 0}h2{font-size:1.1rem;margin:1rem 0 .4rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
.table{overflow-x:auto}code{font:13px ui-monospace,monospace;overflow-wrap:break-word}td code{white-space:nowrap}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.85em;font-weight:600;color:#fff;background:#6e7781}
.badge.passed,.badge.succeeded,.badge.available{background:#1a7f37}.badge.failed,.badge.error{background:#cf222e}.badge.running,.badge.deploying,.badge.stopping{background:#9a6700}
.allowed{font-size:.8em;font-weight:600;color:#9a6700}.badge.queued,.badge.pending,.badge.requested,.badge.approved{background:#0969da}
.badge.manual,.badge.blocked{background:#8250df}.badge.scheduled{background:#bf8700}.badge.created{background:#8c959f}
.muted{color:#656d76}.error{color:#cf222e}form.inline{display:inline}
.action{border:1px solid #d0d7de;background:#f6f8fa;border-radius:6px;padding:.25rem .8rem;cursor:pointer;font:inherit;color:inherit}
a.action{display:inline-block;text-decoration:none}h1 .action,h2 .action,h1 .muted{font-size:.85rem;font-weight:400;vertical-align:middle}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}.filters label{display:flex;flex-direction:column;font-size:.85em}
.stages{display:flex;gap:1rem;overflow-x:auto;padding:.25rem 0}.stage{min-width:11rem}.stage h3{font-size:.9rem;margin:.2rem 0;text-transform:capitalize}
.stage ul{list-style:none;margin:0;padding:0}.stage li{margin:.25rem 0;padding:.25rem .4rem;border:1px solid #d0d7de;border-radius:6px;font-size:.9em}
pre.log{background:#161b22;color:#e6edf3;padding:.5rem 0;overflow-x:auto;font:13px/1.45 ui-monospace,monospace;counter-reset:line;margin:.25rem 0}
pre.log .l{display:block;padding:0 .75rem 0 3.5rem;position:relative;white-space:pre-wrap;word-break:break-all;min-height:1.45em}
pre.log.counted .l::before{counter-increment:line;content:counter(line);position:absolute;left:0;width:2.8rem;text-align:right;color:#6e7681}
pre.log .l>a.n{position:absolute;left:0;width:2.8rem;text-align:right;color:#6e7681;text-decoration:none}pre.log .l>a.n::before{content:attr(data-n)}
pre.log .l:target{background:#3d3417}pre.log summary.l{display:list-item}
pre.log details>summary{cursor:pointer;padding-left:3.5rem;color:#79c0ff;list-style-position:inside}
section.job{margin:1rem 0;border-top:1px solid #d0d7de}section.job>h2{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
@media (max-width:40rem){body{font-size:14px}header .who{margin-left:0}main{padding:0 .5rem}th,td{padding:.3rem .35rem}
.stages{flex-direction:column;gap:.25rem}.stage{min-width:0}h1{font-size:1.2rem}}
`;

/**
 * Pages run no script but Slipway's own file and load nothing from elsewhere: even if some
 * text escaped the `html` tag, a browser would not run it. Styles are inline (ANSI colours).
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function sendPage(response: ServerResponse, status: number, markup: SafeHtml): void {
  response.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('referrer-policy', 'same-origin');
  sendText(response, status, markup.text, 'text/html; charset=utf-8');
}

export function page(title: string, viewer: Viewer | null, body: SafeHtml, script?: SafeHtml): SafeHtml {
  const who = viewer
    ? html`<span class="who"><span>${viewer.identity.forge ?? 'admin'}: ${viewer.identity.login}</span><a href="/tokens">Tokens</a>
        <form method="post" action="/logout"><input type="hidden" name="csrf" value="${viewer.csrf ?? ''}"><button>Log out</button></form></span>`
    : html``;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Slipway</title><style>${raw(STYLE)}</style></head><body>
<header><a href="/"><strong>Slipway</strong></a><a href="/">Projects</a><a href="/environments">Environments</a>${who}</header>
<main>${body}</main>${script ?? ''}
</body></html>
`;
}

/** The page anyone not logged in gets, with status 401. */
export function loginPrompt(logins: ForgeLogin[], adminForm: boolean, next: string, firstLogin = false): SafeHtml {
  const back = next.startsWith('/') && !next.startsWith('//') ? next : '/';
  const buttons = logins.map((login) => html`<p><a class="action" href="/login/${login.forge}?next=${encodeURIComponent(back)}">Log in with ${login.label}</a></p>`);
  const admin = adminForm
    ? html`<form method="post" action="/login/admin"><input type="hidden" name="next" value="${back}">
        <label>Admin token <input type="password" name="token" autocomplete="off" required></label> <button class="action">Log in</button></form>`
    : html``;
  const lasting = 'set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, GITLAB_OAUTH_CLIENT_ID and GITLAB_OAUTH_CLIENT_SECRET, or SLIPWAY_ADMIN_TOKEN';
  const none =
    logins.length > 0 || adminForm
      ? html``
      : firstLogin
        ? html`<p>No login is configured on this server yet. Slipway printed a one-time sign-in link when it started (<code>/login/once?token=…</code>, in its log): open it to get in as admin, then ${lasting} for a lasting login.</p>`
        : html`<p class="error">No login is configured on this server: ${lasting}.</p>`;
  return page('Log in', null, html`<h1>Log in to Slipway</h1><p class="muted">You see the projects your forge lets you read.</p>${buttons}${admin}${none}`);
}

export const badge = (status: string) => html`<span class="badge ${status}">${status}</span>`;

/** How long ago, as a person says it: `12 s ago`, `5 min ago`, `3 h ago`, `4 days ago`. */
export function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  const days = Math.floor(seconds / 86_400);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/**
 * A time inside a <time> element: a past one (within a month) as how long ago, the exact UTC
 * time on hover; a later one, or an older one, as the UTC time itself; a dash when there is none.
 */
export function when(value: Date | string | null, now = Date.now()): SafeHtml {
  if (value === null) return html`<span class="muted">–</span>`;
  const date = new Date(value);
  const exact = `${date.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
  const past = now - date.getTime();
  if (past < 0 || past > 30 * 86_400_000) return html`<time datetime="${date.toISOString()}">${exact}</time>`;
  return html`<time datetime="${date.toISOString()}" title="${exact}">${ago(past)}</time>`;
}

export const projectPath = (forge: string, project: string) => `/projects/${forge}/${encodeURIComponent(project)}`;
