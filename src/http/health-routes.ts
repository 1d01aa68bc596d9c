import type { Pool } from '../store/pool.js';
import type { Metrics } from '../telemetry/metrics.js';
import { sendJson, sendText } from './respond.js';
import type { Route } from './router.js';

const HEALTH_QUERY_TIMEOUT_MS = 2_000;

async function databaseReachable(pool: Pool): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${HEALTH_QUERY_TIMEOUT_MS} ms`), HEALTH_QUERY_TIMEOUT_MS);
  });
  const query = pool.query('SELECT 1').then(
    () => undefined,
    (error: Error) => error.message || String(error),
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(pool: Pool, metrics: Metrics): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      async handle(_request, response) {
        const problem = await databaseReachable(pool);
        if (problem) sendJson(response, 503, { status: 'unavailable', database: `unreachable: ${problem}` });
        else sendJson(response, 200, { status: 'ok', database: 'ok' });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      async handle(_request, response) {
        sendText(response, 200, await metrics.registry.metrics(), metrics.registry.contentType);
      },
    },
  ];
}
