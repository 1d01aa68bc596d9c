import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerClient } from '../../../src/executors/docker/docker-client.js';
import { createDockerExecutor } from '../../../src/executors/docker/docker-executor.js';
import { LABEL_ROLE } from '../../../src/executors/docker/dind.js';
import { runPipeline, type JobResult } from '../../../src/pipeline/run/engine.js';
import type { JobSpec } from '../../../src/pipeline/plan.js';
import { readPipeline } from '../../../src/pipeline/read/read-pipeline.js';
import { dindsOf, executorOptions, pipelineRun } from '../../helpers/docker-lab.js';

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function checkout(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-services-'));
  folders.push(dir);
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

/** Creates a table, writes the job's name into it, and prints what the table holds: another job's rows would show. */
const USE_DATABASE = `
import os, sys, psycopg2
connection = psycopg2.connect(host=sys.argv[1], port=5432, user="app", password=os.environ["POSTGRES_PASSWORD"], dbname="shop")
connection.autocommit = True
cursor = connection.cursor()
cursor.execute("CREATE TABLE items (name text)")
cursor.execute("INSERT INTO items VALUES (%s)", (os.environ["CI_JOB_NAME"],))
cursor.execute("SELECT name FROM items")
print("rows:", [row[0] for row in cursor.fetchall()])
`;

const PING_REDIS = `
import socket
with socket.create_connection(("redis", 6379), timeout=5) as connection:
    connection.sendall(b"PING\\r\\n")
    print("redis:", connection.recv(64).decode().strip())
`;

describe('services beside a job', () => {
  const executor = createDockerExecutor(createDockerClient(), executorOptions);

  it('gives each job its own PostgreSQL at postgres:5432 or its alias, side by side, and keeps their logs', async () => {
    const dir = await checkout({
      'use_database.py': USE_DATABASE,
      'ping_redis.py': PING_REDIS,
      '.gitlab-ci.yml': `
image: python:3.8-slim
variables:
  POSTGRES_USER: app
  POSTGRES_PASSWORD: app-password
  POSTGRES_DB: shop
by-name:
  services: [postgres:15, redis:7]
  script:
    - python use_database.py postgres
    - python ping_redis.py
by-alias:
  services:
    - name: postgres:15
      alias: db
  script:
    - python use_database.py db
    - getent hosts db
`,
    });
    const plan = await readPipeline(dir);
    const output = new Map<string, string>();
    const result = await runPipeline(pipelineRun(dir, plan), executor, {
      jobOutput: (job, text) => output.set(job.name, (output.get(job.name) ?? '') + text),
    });

    // A failure shows the jobs' logs: a job that failed here once could not be told apart otherwise.
    expect(result.jobs.map((job) => [job.name, job.status, job.error]), [...output].map(([job, log]) => `── ${job}\n${log}`).join('\n')).toEqual([
      ['by-name', 'passed', undefined],
      ['by-alias', 'passed', undefined],
    ]);
    // Both jobs made the same table in a database of their own: each sees its own row only.
    expect(output.get('by-name')).toContain("rows: ['by-name']");
    expect(output.get('by-alias')).toContain("rows: ['by-alias']");
    expect(output.get('by-name')).toContain('redis: +PONG');
    expect(output.get('by-alias')).toMatch(/^127\.0\.0\.1\s+db$/m);
    expect(output.get('by-name')).toMatch(/Service postgres is ready on port 5432/);
    const [byName] = result.jobs as JobResult[];
    expect(byName!.services?.map((service) => service.name)).toEqual(['postgres', 'redis']);
    expect(byName!.services?.[0]?.log).toContain('PostgreSQL init process complete');
  });

  it('fails a job whose service never listens or exits, naming it with its last lines, and leaves no container behind', async () => {
    const quick = createDockerExecutor(createDockerClient(), { ...executorOptions, serviceReadyTimeoutMs: 3_000 });
    const dir = await checkout({
      '.gitlab-ci.yml': `
image: busybox
stages: [first, second]
never-ready:
  stage: first
  allow_failure: true
  services:
    - name: postgres:15
      entrypoint: ["sh", "-c", "echo warming up for ever; sleep 3600"]
  script: [echo "never runs"]
exits:
  stage: second
  allow_failure: true
  services:
    - name: redis:7
      alias: cache
      command: ["sh", "-c", "echo bad configuration >&2; exit 3"]
  script: [echo "never runs"]
`,
    });
    const plan = await readPipeline(dir);
    const leftBehind: Record<string, unknown[]> = {};
    const run = pipelineRun(dir, plan);
    const result = await runPipeline(run, quick, {
      // Asked while the pipeline's daemon still runs: what did the job leave in it?
      async jobFinished(job: JobSpec) {
        const [dind] = await dindsOf(run.facts.id);
        const inner = createDockerClient(`unix://${path.join(executorOptions.dind.socketDir, dind!.name, 'docker.sock')}`);
        leftBehind[job.name] = await inner.listContainers({ all: true, filters: { label: [LABEL_ROLE] } });
      },
    });

    const [neverReady, exits] = result.jobs;
    expect(neverReady!.status).toBe('failed');
    expect(neverReady!.error).toMatch(
      /^service postgres \(postgres:15\) did not accept connections on port 5432 within 3 s \(SLIPWAY_SERVICE_READY_TIMEOUT\); its last log lines:\n {2}warming up for ever$/,
    );
    expect(neverReady!.durationMs).toBeLessThan(30_000);
    expect(neverReady!.services?.[0]?.log).toContain('warming up for ever');
    expect(exits!.status).toBe('failed');
    expect(exits!.error).toMatch(/^service cache \(redis:7\) exited with code 3 before it was ready; its last log lines:\n {2}bad configuration$/);
    expect(leftBehind).toEqual({ 'never-ready': [], exits: [] });
    expect(await dindsOf(run.facts.id)).toEqual([]);
  });
});
