import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { BodyTooLargeError } from './read-body.js';
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

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const match = createRouter(options.routes);

  const server = http.createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const found = match(request.method ?? 'GET', url.pathname);
    let routeName = 'unmatched';
    response.on('finish', () => {
      options.metrics.httpRequests.inc({ route: routeName, status: String(response.statusCode) });
    });
    if (!found) return sendError(response, 404, `no route for ${request.method} ${url.pathname}`);
    if ('allowed' in found) {
      response.setHeader('allow', found.allowed.join(', '));
      return sendError(response, 405, `${request.method} is not allowed here; use ${found.allowed.join(' or ')}`);
    }
    routeName = found.route.name ?? found.route.path;
    Promise.resolve(found.route.handle(request, response, found.params)).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError && !response.headersSent) {
        // The rest of the body is never read, so this connection cannot carry another request.
        response.setHeader('connection', 'close');
        return sendError(response, 413, error.message);
      }
      options.logger.error({ err: error, route: routeName }, 'request failed');
      if (!response.headersSent) sendError(response, 500, 'internal error; see the service log');
      else response.destroy();
    });
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
