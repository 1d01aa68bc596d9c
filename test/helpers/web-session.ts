import net from 'node:net';
import type { FakeGitlabLogin, GitlabUser } from './fake-gitlab-login.js';

/** A port nothing listens on now: the service's PUBLIC_URL must be known before it starts. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const cookiesOf = (response: Response) => response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!);

/** A logged-in person, as a browser would be: the session cookie and the page's CSRF token. */
export interface WebSession {
  cookie: string;
  csrf: string;
  /** Headers for a request of this session. */
  headers(extra?: Record<string, string>): Record<string, string>;
}

/** Logs `user` in through the GitLab OAuth flow, following each redirect by hand. */
export async function loginWithGitlab(base: string, fake: FakeGitlabLogin, user: GitlabUser): Promise<WebSession> {
  fake.nextUser = user;
  const start = await fetch(`${base}/login/gitlab?next=/`, { redirect: 'manual' });
  const stateCookie = cookiesOf(start).join('; ');
  const atForge = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  const callback = await fetch(atForge.headers.get('location')!, { redirect: 'manual', headers: { cookie: stateCookie } });
  if (callback.status !== 303) throw new Error(`the login callback answered ${callback.status}: ${await callback.text()}`);
  const cookie = cookiesOf(callback).find((each) => each.startsWith('slipway_session='))!;
  return sessionWith(base, cookie);
}

export async function sessionWith(base: string, cookie: string): Promise<WebSession> {
  const page = await (await fetch(`${base}/tokens`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error(`no CSRF token on the page: ${page.slice(0, 300)}`);
  return { cookie, csrf, headers: (extra = {}) => ({ cookie, ...extra }) };
}

/** A form post of a session, with its CSRF token unless `csrf` is false. */
export function postForm(base: string, path: string, session: WebSession, fields: Record<string, string> = {}, csrf = true): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: session.headers({ 'content-type': 'application/x-www-form-urlencoded' }),
    body: new URLSearchParams({ ...fields, ...(csrf ? { csrf: session.csrf } : {}) }).toString(),
  });
}
