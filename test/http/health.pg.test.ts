import { afterEach, describe, expect, it } from 'vitest';
import { healthRoutes } from '../../src/http/health-routes.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { createPool, type Pool } from '../../src/store/pool.js';
import { lab } from '../helpers/lab.js';

describe('health and metrics', () => {
  let server: HttpServer | undefined;
  let pool: Pool | undefined;
  afterEach(async () => {
    await server?.close();
    await pool?.end();
  });

  async function serveWith(databaseUrl: string): Promise<string> {
    pool = createPool(databaseUrl);
    const metrics = createMetrics();
    server = await startHttpServer({ port: 0, host: '127.0.0.1', routes: healthRoutes(pool, metrics), logger: createLogger('silent'), metrics });
    return `http://127.0.0.1:${server.port}`;
  }

  it('answers /healthz with 200 when the database answers', async () => {
    const base = await serveWith(lab.databaseUrl);

    const response = await fetch(`${base}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'ok' });
  });

  it('answers /healthz with 503 and the reason when the database is down', async () => {
    // Port 9 (discard) has no PostgreSQL on this machine: the connection is refused.
    const base = await serveWith('postgres://slipway:slipway@127.0.0.1:9/slipway');

    const response = await fetch(`${base}/healthz`);
    const body = (await response.json()) as { status: string; database: string };

    expect(response.status).toBe(503);
    expect(body.status).toBe('unavailable');
    expect(body.database).toMatch(/^unreachable: .*ECONNREFUSED/);
  });

  it('serves Prometheus text on /metrics, counting requests by route', async () => {
    const base = await serveWith(lab.databaseUrl);
    await fetch(`${base}/healthz`);

    const response = await fetch(`${base}/metrics`);
    const text = await response.text();

    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE slipway_http_requests_total counter');
    expect(text).toMatch(/^slipway_http_requests_total\{route="\/healthz",status="200"\} 1$/m);
    expect(text).toMatch(/^slipway_process_cpu_user_seconds_total \d/m);
  });

  it('answers unknown paths with 404 and wrong methods with 405, as JSON errors', async () => {
    const base = await serveWith(lab.databaseUrl);

    const missing = await fetch(`${base}/nowhere`);
    const wrongMethod = await fetch(`${base}/healthz`, { method: 'POST' });

    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no route for GET /nowhere' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });
});
