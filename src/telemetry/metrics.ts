import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricSources {
  /** The Docker host's pool of seeded daemons, counted by state when scraped. */
  poolCounts?: () => Promise<Record<string, number>>;
}

/** One registry per service instance, so tests can build several without clashing. */
export function createMetrics(sources: MetricSources = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'slipway_' });
  const { poolCounts } = sources;
  if (poolCounts) {
    new Gauge({
      name: 'slipway_pool_daemons',
      help: 'Dind daemons in the pool on the Docker host, by state (seeding, ready, claimed)',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        // A scrape while Docker is away reports nothing rather than failing the whole page.
        const counts = await poolCounts().catch(() => undefined);
        this.reset();
        for (const [state, count] of Object.entries(counts ?? {})) this.set({ state }, count);
      },
    });
  }
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
