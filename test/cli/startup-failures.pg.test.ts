import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, listeningPort, runCli, spawnCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { lab } from '../helpers/lab.js';
import { freePort } from '../helpers/free-port.js';

/** A unix socket in front of the real Docker engine, which the test can cut: Docker "stops" for whoever uses it. */
async function dockerPipe(socketPath: string) {
  const connections = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const engine = net.connect('/var/run/docker.sock');
    connections.add(client).add(engine);
    client.pipe(engine).pipe(client);
    const end = () => {
      client.destroy();
      engine.destroy();
    };
    client.on('error', end).on('close', end);
    engine.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of connections) socket.destroy();
      });
    },
  };
}

describe('slipway at start-up, when what it needs is not there', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const wrongPassword = () => {
    const url = new URL(database.url);
    url.password = 'not-the-password';
    return url.toString();
  };

  it.each([
    ['an unreachable database', () => ({ DATABASE_URL: 'postgres://slipway:slipway@127.0.0.1:9/slipway' }), 'slipway: cannot reach PostgreSQL at 127.0.0.1:9 (connection refused): check DATABASE_URL and that PostgreSQL is running'],
    ['a wrong database password', () => ({ DATABASE_URL: wrongPassword() }), `slipway: PostgreSQL at ${new URL(lab.databaseUrl).host} refused the password for user "${new URL(lab.databaseUrl).username}": check the user and password in DATABASE_URL`],
    ['an unreachable Docker', () => ({ DATABASE_URL: database.url, DOCKER_HOST: 'unix:///nonexistent/docker.sock' }), 'slipway: cannot reach Docker at unix:///nonexistent/docker.sock (no such socket): check DOCKER_HOST and that Docker is running'],
  ])('says what to check in one line for %s, and exits 69', async (_name, env, line) => {
    const result = await runCli(['serve'], { PORT: '0', ...env() });

    expect(result.code).toBe(69);
    expect(result.stderr).toBe(`${line}\n`);
    expect(result.stderr).not.toContain('not-the-password');
  });

  it('says which port is taken, and exits 69', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const result = await runCli(['serve'], { DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: String(port), SLIPWAY_CONCURRENCY: '0' });

      expect(result.code).toBe(69);
      expect(result.stderr).toBe(`slipway: port ${port} on 127.0.0.1 is already in use: stop what listens there, or set PORT\n`);
    } finally {
      taken.close();
    }
  });

  it('logs what it is configured to do, secrets left out, and reports each dependency on /healthz: 503 once Docker goes', async () => {
    const socket = path.join(os.tmpdir(), `slipway-docker-pipe-${process.pid}-${Date.now()}.sock`);
    const pipe = await dockerPipe(socket);
    const child = spawnCli(['serve'], { DATABASE_URL: database.url, HOST: '127.0.0.1', PORT: '0', DOCKER_HOST: `unix://${socket}`, SLIPWAY_CONCURRENCY: '1', SLIPWAY_POOL_SIZE: '0', SLIPWAY_REGISTRY: lab.registry });
    const done = finished(child);
    try {
      const port = await listeningPort(child);
      const healthy = await fetch(`http://127.0.0.1:${port}/healthz`);
      const healthyBody = await healthy.json();
      await pipe.cut();
      const unhealthy = await fetch(`http://127.0.0.1:${port}/healthz`);
      const unhealthyBody = (await unhealthy.json()) as Record<string, string>;
      child.kill('SIGTERM');
      const result = await done;
      const configured = JSON.parse(result.stdout.split('\n').find((line) => line.includes('"msg":"slipway configured"'))!) as Record<string, unknown>;

      expect(healthy.status).toBe(200);
      expect(healthyBody).toEqual({ status: 'ok', database: 'ok', docker: 'ok', registry: 'ok' });
      expect(unhealthy.status).toBe(503);
      expect(unhealthyBody).toMatchObject({ status: 'unavailable', database: 'ok', registry: 'ok' });
      expect(unhealthyBody.docker).toMatch(/^unreachable: .*ENOENT/);
      expect(configured).toMatchObject({ listen: '127.0.0.1:0', docker: `unix://${socket}`, registry: lab.registry, concurrency: 1, slack: 'off' });
      expect(configured.database).toBe(`${new URL(database.url).host}${new URL(database.url).pathname}`);
      const { username, password } = new URL(database.url);
      expect(result.stdout).not.toContain(`${username}:${password}@`);
    } finally {
      child.kill('SIGKILL');
      await rm(socket, { force: true });
    }
  });

  it('says whose the embedded database is when a second Slipway starts on the same folder, and exits 69', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-shared-data-'));
    const port = String(await freePort());
    const first = spawnCli(['serve'], { SLIPWAY_DATA_DIR: dataDir, SLIPWAY_EMBEDDED_PG_PORT: port, HOST: '127.0.0.1', PORT: '0', SLIPWAY_CONCURRENCY: '0' });
    const firstDone = finished(first);
    try {
      await listeningPort(first);
      const second = await runCli(['serve'], { SLIPWAY_DATA_DIR: dataDir, SLIPWAY_EMBEDDED_PG_PORT: String(Number(port) + 1), HOST: '127.0.0.1', PORT: '0', SLIPWAY_CONCURRENCY: '0' });

      expect(second.code).toBe(69);
      expect(second.stderr).toMatch(
        new RegExp(`^slipway: the embedded database in ${path.join(dataDir, 'postgres')} is in use by another process \\(pid \\d+\\): stop the other Slipway, or give this one its own SLIPWAY_DATA_DIR or a DATABASE_URL\\n$`),
      );
    } finally {
      first.kill('SIGTERM');
      await firstDone;
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('explains a command instead of running it when asked for --help, and prints its version', async () => {
    const help = await runCli(['serve', '--help']);
    const version = await runCli(['--version']);

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: slipway serve\n/);
    expect(help.stdout).not.toContain('"msg"');
    expect(version.stdout).toMatch(/^slipway \d+\.\d+\.\d+\n$/);
  });
});
