import { databaseProblem } from '../store/database-health.js';
import type { Pool } from '../store/pool.js';
import type { Metrics } from '../telemetry/metrics.js';
import { sendJson, sendText } from './respond.js';
import type { Route } from './router.js';

/** What else pipelines need, asked on every /healthz; absent where this process does not use it. */
export interface HealthChecks {
  /** Throws unless the Docker host answers (processes that run pipelines). */
  docker?: () => Promise<void>;
  /** Throws unless Slipway's registry answers. */
  registry?: () => Promise<void>;
}

const problemOf = (check: () => Promise<void>) =>
  check().then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error.message || (error as NodeJS.ErrnoException).code || error.name : String(error)),
  );

/**
 * `/healthz` reports each dependency on its own line, and is 503 when pipelines cannot run
 * here (any of them down), so a load balancer or orchestrator stops sending work.
 */
export function healthRoutes(pool: Pool, metrics: Metrics, checks: HealthChecks = {}): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      async handle(_request, response) {
        const [database, docker, registry] = await Promise.all([
          databaseProblem(pool),
          checks.docker ? problemOf(checks.docker) : Promise.resolve(null),
          checks.registry ? problemOf(checks.registry) : Promise.resolve(null),
        ]);
        const report = (problem: string | undefined | null) => (problem ? `unreachable: ${problem}` : 'ok');
        const body = {
          database: report(database),
          ...(docker === null ? {} : { docker: report(docker) }),
          ...(registry === null ? {} : { registry: report(registry) }),
        };
        const healthy = Object.values(body).every((value) => value === 'ok');
        sendJson(response, healthy ? 200 : 503, { status: healthy ? 'ok' : 'unavailable', ...body });
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
