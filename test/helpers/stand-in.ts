import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SLACK_TEAM_ID } from './slack-requests.js';

export interface StandInCall {
  method: string;
  path: string;
  body: string;
}

export interface StandIn {
  url: string;
  calls: StandInCall[];
  close(): void;
}

/**
 * A loopback stand-in for Slack's Web API and a forge's, for Slipway running as a separate
 * process (which nock cannot reach): Slack methods answer `ok`, GitLab's archive endpoint serves
 * `archives` by SHA, other forge calls answer a plain JSON object.
 */
export function startStandIn(archives: Map<string, Buffer> = new Map()): Promise<StandIn> {
  const calls: StandInCall[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://stand-in');
      calls.push({ method: request.method ?? 'GET', path: request.url ?? '', body: Buffer.concat(chunks).toString() });
      if (/\/repository\/archive\.tar\.gz$/.test(url.pathname)) {
        const archive = archives.get(url.searchParams.get('sha') ?? '');
        response.writeHead(archive ? 200 : 404, { 'content-type': 'application/x-gzip' });
        return response.end(archive ?? '');
      }
      response.setHeader('content-type', 'application/json');
      if (url.pathname === '/api/auth.test') return response.end(JSON.stringify({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: SLACK_TEAM_ID }));
      if (url.pathname.startsWith('/api/') && !url.pathname.startsWith('/api/v4/')) return response.end(JSON.stringify({ ok: true, ts: `${Date.now() / 1000}`, channel: 'C1' }));
      if (request.method === 'GET' && url.pathname.endsWith('/notes')) return response.end('[]');
      response.statusCode = request.method === 'POST' ? 201 : 200;
      response.end(JSON.stringify({ id: calls.length }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => server.close() })),
  );
}

/** A deploy webhook that holds every request until `release()`; after that it answers at once. */
export async function startHoldingHook(): Promise<{ url: string; received: string[]; release(): void; close(): void }> {
  const received: string[] = [];
  const held: http.ServerResponse[] = [];
  let released = false;
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(body);
      if (released) response.writeHead(204).end();
      else held.push(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/deploy`,
    received,
    release() {
      released = true;
      for (const response of held.splice(0)) response.writeHead(204).end();
    },
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
