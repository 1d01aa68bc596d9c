import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { finished, listeningPort, spawnCli } from '../test/helpers/cli.js';
import { createTestDatabase } from '../test/helpers/database.js';
import { labEnv } from '../test/helpers/docker-lab.js';
import { gitlabMergeRequest, gitlabPush } from '../test/helpers/forge-payloads.js';
import { gitlabWorldAnswer } from '../test/helpers/gitlab-world.js';
import { ADMIN_TOKEN, gitlabProjectIdOf, gitlabSecretFor } from '../test/helpers/test-service.js';
import { median, printTable } from './print-table.js';

const TOTAL = Number(process.env.BENCH_WEBHOOKS ?? 2000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);

/** A loopback stand-in for the GitLab API that notes when the first MR comment arrives. */
async function fakeGitlab() {
  let firstNoteAt: number | undefined;
  const server = http.createServer((request, response) => {
    request.resume();
    if (request.method === 'POST' && /\/notes$/.test(request.url ?? '')) firstNoteAt ??= performance.now();
    // What verifying a hook asks: the projects and branch heads the bench's hooks describe.
    const known = gitlabWorldAnswer(request.method ?? 'GET', new URL(request.url ?? '/', 'http://gitlab').pathname);
    if (known) return void response.writeHead(known[0], { 'content-type': 'application/json' }).end(JSON.stringify(known[1]));
    const body = request.method === 'GET' ? '[]' : '{"id":1,"body":""}';
    response.writeHead(request.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, firstNoteAt: () => firstNoteAt, close: () => server.close() };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function webhookBench(): Promise<void> {
  const gitlab = await fakeGitlab();
  const database = await createTestDatabase();
  // The server runs as its own process, as in production; no workers, as this measures ingestion.
  const server = spawnCli(['serve'], {
    ...labEnv, DATABASE_URL: database.url, PORT: '0', GITLAB_URL: gitlab.url, GITLAB_TOKEN: 'bench',
    SLIPWAY_ADMIN_TOKEN: ADMIN_TOKEN, SLIPWAY_CONCURRENCY: '0', LOG_LEVEL: 'info',
  });
  const port = await listeningPort(server);
  const url = `http://127.0.0.1:${port}/webhooks/gitlab`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  // Each project's webhook has its own secret, issued before the clock starts.
  const secrets = new Map<number, string>();
  const secretOf = async (body: string) => {
    const id = gitlabProjectIdOf(JSON.parse(body));
    if (!secrets.has(id)) secrets.set(id, await gitlabSecretFor(`http://127.0.0.1:${port}`, id));
    return secrets.get(id)!;
  };
  const send = async (event: string, body: string, key: string) => {
    const token = await secretOf(body);
    return new Promise<number>((resolve, reject) => {
      const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-gitlab-event': event, 'x-gitlab-token': token, 'idempotency-key': key } }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
      request.end(body);
    });
  };

  try {
    const body = (i: number) => JSON.stringify(gitlabPush({ project: `bench/app-${i % 50}`, sha: randomBytes(20).toString('hex'), ref: `branch-${i}` }));
    // Open loop: request i is due at i/RATE seconds, whether or not earlier ones have been answered.
    const load = async (from: number, count: number) => {
      const payloads = Array.from({ length: count }, (_, i) => body(from + i));
      for (const payload of payloads) await secretOf(payload);
      const latencies: number[] = [];
      const statuses = new Map<number, number>();
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < count; i = next++) {
            const wait = started + (i * 1000) / RATE - performance.now();
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
            const sent = performance.now();
            const status = await send('Push Hook', payloads[i]!, `bench-${from + i}`);
            latencies[i] = performance.now() - sent;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        }),
      );
      return { latencies, statuses, seconds: (performance.now() - started) / 1000 };
    };
    // The first second opens the pool's connections (each one a SCRAM handshake) and warms the JIT.
    const cold = await load(0, RATE);
    const { latencies, statuses, seconds: elapsed } = await load(RATE, TOTAL);
    if (process.env.BENCH_WINDOWS) for (let w = 0; w < TOTAL; w += 250) console.log(`requests ${w}-${w + 249}: p99 ${percentile(latencies.slice(w, w + 250), 99).toFixed(1)} ms`);
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const recorded = await client.query<{ total: number; distinct_ids: number; pipelines: number }>(
      `SELECT (SELECT count(*)::int FROM deliveries) AS total, (SELECT count(DISTINCT delivery_id)::int FROM deliveries) AS distinct_ids,
              (SELECT count(*)::int FROM pipelines) AS pipelines`,
    );
    const { total, distinct_ids: distinctIds, pipelines } = recorded.rows[0]!;

    const mrSent = performance.now();
    await send('Merge Request Hook', JSON.stringify(gitlabMergeRequest({ project: 'bench/mr', sha: randomBytes(20).toString('hex'), iid: 1 })), 'bench-mr');
    while (gitlab.firstNoteAt() === undefined && performance.now() - mrSent < 10_000) await new Promise((resolve) => setTimeout(resolve, 1));
    await client.end();

    printTable(`webhook ingestion: ${TOTAL} signed GitLab Push Hooks after ${RATE} to warm up, ${RATE}/s offered, ${CONCURRENCY} connections`, [
      ['first second (cold start)', `p50 ${median(cold.latencies).toFixed(1)} ms, p99 ${percentile(cold.latencies, 99).toFixed(1)} ms`],
      ['answers', [...statuses].map(([status, n]) => `${n} × ${status}`).join(', ')],
      ['p50 / p99 / max acknowledgement', `${median(latencies).toFixed(1)} / ${percentile(latencies, 99).toFixed(1)} / ${Math.max(...latencies).toFixed(1)} ms`],
      ['throughput', `${(TOTAL / elapsed).toFixed(0)} requests/s over ${elapsed.toFixed(1)} s`],
      ['deliveries recorded', `${total} rows, ${distinctIds} distinct ids, ${pipelines} pipelines (expected ${TOTAL + RATE} each)`],
      ['webhook to first comment call', `${((gitlab.firstNoteAt() ?? Number.NaN) - mrSent).toFixed(1)} ms`],
    ]);
  } finally {
    agent.destroy();
    server.kill('SIGTERM');
    await finished(server);
    gitlab.close();
    await database.drop();
  }
}
