import { databaseProblem } from '../store/database-health.js';
import type { Pool } from '../store/pool.js';
import type { Metrics } from '../telemetry/metrics.js';
import { sendJson, sendText } from './respond.js';
import type { Route } from './router.js';

export function healthRoutes(pool: Pool, metrics: Metrics): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      async handle(_request, response) {
        const problem = await databaseProblem(pool);
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
