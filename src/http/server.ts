import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { BodyReadsBusyError, BodyTooLargeError } from './read-body.js';
import { sendError } from './respond.js';
import { createRouter, type Route } from './router.js';

export interface HttpServer {
  readonly port: number;
  /** Stops taking requests, waits for those under way, then resolves. */
  close(): Promise<void>;
}

export interface HttpServerOptions {
  port: number;
  host?: string;
  routes: Route[];
  logger: Logger;
  metrics: Metrics;
}

/**
 * The path of a request target, without the query; undefined when the target is not a path
 * (`GET http://[`). Absolute-form targets (`GET http://host/path`) are read as their path.
 */
export function pathOf(target: string): string | undefined {
  let path = target;
  if (!path.startsWith('/')) {
    try {
      path = new URL(path).pathname;
    } catch {
      return undefined;
    }
  }
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const match = createRouter(options.routes);

  const fail = (response: ServerResponse, routeName: string, error: unknown) => {
    if (error instanceof BodyTooLargeError || error instanceof BodyReadsBusyError) {
      if (response.headersSent) return response.destroy();
      // The rest of the body is never read, so this connection cannot carry another request.
      response.setHeader('connection', 'close');
      if (error instanceof BodyReadsBusyError) response.setHeader('retry-after', '5');
      return sendError(response, error instanceof BodyTooLargeError ? 413 : 429, error.message);
    }
    options.logger.error({ err: error, route: routeName }, 'request failed');
    if (!response.headersSent) sendError(response, 500, 'internal error; see the service log');
    else response.destroy();
  };

  const server = http.createServer((request: IncomingMessage, response: ServerResponse) => {
    let routeName = 'unmatched';
    response.on('finish', () => {
      options.metrics.httpRequests.inc({ route: routeName, status: String(response.statusCode) });
    });
    const pathname = pathOf(request.url ?? '/');
    if (pathname === undefined) return sendError(response, 400, 'the request target is not a path such as /healthz');
    const found = match(request.method ?? 'GET', pathname);
    if (!found) return sendError(response, 404, `no route for ${request.method} ${pathname.slice(0, 200)}`);
    if ('allowed' in found) {
      response.setHeader('allow', found.allowed.join(', '));
      return sendError(response, 405, `${request.method} is not allowed here; use ${found.allowed.join(' or ')}`);
    }
    if ('invalid' in found) return sendError(response, 400, found.invalid);
    routeName = found.route.name ?? found.route.path;
    try {
      Promise.resolve(found.route.handle(request, response, found.params)).catch((error: unknown) => fail(response, routeName, error));
    } catch (error) {
      fail(response, routeName, error);
    }
  });
  // A request line Node cannot parse never reaches the handler: answer it here and go on serving.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') return socket.destroy();
    socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"error":"malformed HTTP request"}');
  });
  // Slack and the forges retry slow answers; keep-alive sockets must not hold shutdown open.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port }, 'listening');

  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
