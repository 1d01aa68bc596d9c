import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per service instance, so tests can build several without clashing. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'slipway_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'slipway_http_requests_total',
      help: 'HTTP requests answered, by route and status code',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    pipelinesFinished: new Counter({
      name: 'slipway_pipelines_finished_total',
      help: 'Pipelines that reached a final state, by status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'slipway_job_duration_seconds',
      help: 'Duration of pipeline jobs, by kind and status',
      labelNames: ['kind', 'status'] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
