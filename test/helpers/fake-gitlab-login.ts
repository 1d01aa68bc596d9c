import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitlabUser {
  id: number;
  username: string;
}

export interface FakeGitlabLogin {
  url: string;
  clientId: string;
  clientSecret: string;
  /** Who the next visit to /oauth/authorize logs in as. */
  nextUser: GitlabUser;
  /** Project id -> visibility and members' access levels (user id -> level). */
  projects: Map<number, { visibility: 'private' | 'internal' | 'public'; members: Map<number, number> }>;
  /** How many times Slipway asked about a membership. */
  membershipQuestions: number;
  close(): void;
}

/**
 * A loopback GitLab for logging in (OAuth authorization code flow, as GitLab answers it) and
 * for the questions Slipway asks about who may read a project. A browser can visit it, which
 * nock cannot give.
 */
export async function startFakeGitlabLogin(): Promise<FakeGitlabLogin> {
  const codes = new Map<string, GitlabUser>();
  const tokens = new Map<string, GitlabUser>();
  const json = (response: http.ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const fake: FakeGitlabLogin = {
    url: '',
    clientId: 'slipway-client-id',
    clientSecret: 'slipway-client-secret',
    nextUser: { id: 1, username: 'nobody' },
    projects: new Map(),
    membershipQuestions: 0,
    close: () => server.close(),
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://gitlab');
      if (url.pathname === '/oauth/authorize') {
        if (url.searchParams.get('client_id') !== fake.clientId || url.searchParams.get('response_type') !== 'code') return json(response, 400, { error: 'invalid_request' });
        const code = randomBytes(8).toString('hex');
        codes.set(code, fake.nextUser);
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        response.writeHead(302, { location: back.toString() });
        return response.end();
      }
      if (url.pathname === '/oauth/token' && request.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const user = codes.get(form.get('code') ?? '');
        if (!user || form.get('client_secret') !== fake.clientSecret || form.get('grant_type') !== 'authorization_code') return json(response, 400, { error: 'invalid_grant', error_description: 'The provided authorization grant is invalid' });
        codes.delete(form.get('code')!);
        const token = randomBytes(16).toString('hex');
        tokens.set(token, user);
        return json(response, 200, { access_token: token, token_type: 'Bearer', scope: 'read_user' });
      }
      if (url.pathname === '/api/v4/user') {
        const user = tokens.get((request.headers.authorization ?? '').replace(/^Bearer /, ''));
        return user ? json(response, 200, { id: user.id, username: user.username, name: user.username }) : json(response, 401, { message: '401 Unauthorized' });
      }
      // Slipway's own token asks about projects and members.
      if (request.headers['private-token'] !== 'glpat-test-token') return json(response, 401, { message: '401 Unauthorized' });
      const member = /^\/api\/v4\/projects\/(\d+)\/members\/all\/(\d+)$/.exec(url.pathname);
      if (member) {
        fake.membershipQuestions += 1;
        const level = fake.projects.get(Number(member[1]))?.members.get(Number(member[2]));
        return level === undefined ? json(response, 404, { message: '404 Not found' }) : json(response, 200, { id: Number(member[2]), access_level: level });
      }
      const project = /^\/api\/v4\/projects\/(\d+)$/.exec(url.pathname);
      if (project) {
        const found = fake.projects.get(Number(project[1]));
        return found ? json(response, 200, { id: Number(project[1]), visibility: found.visibility }) : json(response, 404, { message: '404 Project Not Found' });
      }
      json(response, 404, { message: '404 Not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
