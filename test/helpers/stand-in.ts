import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gitlabWorldAnswer } from './gitlab-world.js';
import { SLACK_TEAM_ID } from './slack-requests.js';

export interface StandInCall {
  method: string;
  path: string;
  body: string;
}

export interface StandIn {
  url: string;
  calls: StandInCall[];
  /** GitLab merge request notes, by `projectId!iid`. */
  notes: Map<string, Array<{ id: number; body: string }>>;
  close(): void;
}

export interface StandInOptions {
  /** Delay before answering a notes listing: widens the window in which two writers could both miss the comment. */
  notesDelayMs?: number;
  /** Delay before answering an archive request: keeps a worker busy with its pipeline for a while. */
  archiveDelayMs?: number;
}

/**
 * A loopback stand-in for Slack's Web API and a forge's, for Slipway running as a separate
 * process (which nock cannot reach): Slack methods answer `ok`, GitLab's archive endpoint serves
 * `archives` by SHA, other forge calls answer a plain JSON object.
 */
export function startStandIn(archives: Map<string, Buffer> = new Map(), options: StandInOptions = {}): Promise<StandIn> {
  const calls: StandInCall[] = [];
  const notes = new Map<string, Array<{ id: number; body: string }>>();
  let nextNote = 1;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://stand-in');
      const text = Buffer.concat(chunks).toString();
      calls.push({ method: request.method ?? 'GET', path: request.url ?? '', body: text });
      if (/\/repository\/archive\.tar\.gz$/.test(url.pathname)) {
        const archive = archives.get(url.searchParams.get('sha') ?? '');
        return void setTimeout(() => {
          response.writeHead(archive ? 200 : 404, { 'content-type': 'application/x-gzip' });
          response.end(archive ?? '');
        }, options.archiveDelayMs ?? 0);
      }
      response.setHeader('content-type', 'application/json');
      const known = gitlabWorldAnswer(request.method ?? 'GET', url.pathname);
      if (known) {
        response.statusCode = known[0];
        return response.end(JSON.stringify(known[1]));
      }
      if (url.pathname === '/api/auth.test') return response.end(JSON.stringify({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: SLACK_TEAM_ID }));
      if (url.pathname.startsWith('/api/') && !url.pathname.startsWith('/api/v4/')) return response.end(JSON.stringify({ ok: true, ts: `${Date.now() / 1000}`, channel: 'C1' }));
      const mergeRequest = /^\/api\/v4\/projects\/(\d+)\/merge_requests\/(\d+)\/notes(?:\/(\d+))?$/.exec(url.pathname);
      if (mergeRequest) {
        const key = `${mergeRequest[1]}!${mergeRequest[2]}`;
        const list = notes.get(key) ?? [];
        notes.set(key, list);
        const body = () => (JSON.parse(text || '{}') as { body?: string }).body ?? '';
        if (request.method === 'GET') return void setTimeout(() => response.end(JSON.stringify(list)), options.notesDelayMs ?? 0);
        if (request.method === 'POST') {
          const note = { id: nextNote++, body: body() };
          list.push(note);
          response.statusCode = 201;
          return response.end(JSON.stringify(note));
        }
        const note = list.find((candidate) => candidate.id === Number(mergeRequest[3]));
        if (note) note.body = body();
        response.statusCode = note ? 200 : 404;
        return response.end(JSON.stringify(note ?? { message: '404 Not found' }));
      }
      response.statusCode = request.method === 'POST' ? 201 : 200;
      response.end(JSON.stringify({ id: calls.length }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, notes, close: () => server.close() })),
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
