import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { finished, listeningPort, runCli, spawnCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { freePort } from '../helpers/web-session.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('slipway serve', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await database.drop();
  });

  it('stops at start-up with one line naming a malformed variable', async () => {
    const result = await runCli(['serve'], { PORT: 'eighty', DATABASE_URL: database.url });

    expect(result.code).toBe(78);
    expect(result.stderr).toBe('slipway: configuration error: PORT must be a whole number from 0 to 65535 (got "eighty")\n');
  });

  it('does not print a secret when its variable is malformed', async () => {
    const result = await runCli(['serve'], { DATABASE_URL: 'mysql://root:topsecret@db/app' });

    expect(result.code).toBe(78);
    expect(result.stderr).toContain('DATABASE_URL must be a postgres:// URL');
    expect(result.stderr).not.toContain('topsecret');
  });

  it('migrates, serves /healthz, and exits cleanly on SIGTERM', async () => {
    const child = spawnCli(['serve'], { PORT: '0', DATABASE_URL: database.url });
    const done = finished(child);
    const port = await listeningPort(child);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    child.kill('SIGTERM');
    const result = await done;

    expect(health.status).toBe(200);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"msg":"shutting down"');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('prints the address to open and, with no login configured, a one-time admin sign-in that works once', async () => {
    const port = await freePort();
    const child = spawnCli(['serve'], { PORT: String(port), DATABASE_URL: database.url });
    const done = finished(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await listeningPort(child);
    const printed = await waitFor('the one-time link', () => /open (http:\/\/localhost:\d+\/login\/once\?token=[0-9a-f]{48}) to sign in as admin/.exec(output)?.[1]);
    const link = printed.replace('localhost', '127.0.0.1');

    const prompt = await fetch(`http://127.0.0.1:${port}/`);
    const first = await fetch(link, { redirect: 'manual' });
    const cookie = first.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const projects = await fetch(`http://127.0.0.1:${port}/api/projects`, { headers: { cookie } });
    const second = await fetch(link, { redirect: 'manual' });
    const guessed = await fetch(`http://127.0.0.1:${port}/login/once?token=${'0'.repeat(48)}`, { redirect: 'manual' });
    child.kill('SIGTERM');
    const result = await done;

    expect(result.stdout).toContain(`Slipway is up: open http://localhost:${port}`);
    expect(prompt.status).toBe(401);
    expect(await prompt.text()).toContain('Slipway printed a one-time sign-in link when it started');
    expect([first.status, first.headers.get('location')]).toEqual([303, '/']);
    expect(projects.status).toBe(200);
    expect([second.status, guessed.status]).toEqual([401, 401]);
    expect(await second.text()).toContain('A one-time sign-in link works once');
  });

  it('prints no sign-in link where a login is configured', async () => {
    const port = await freePort();
    const child = spawnCli(['serve'], { PORT: String(port), DATABASE_URL: database.url, SLIPWAY_ADMIN_TOKEN: 'a'.repeat(32) });
    const done = finished(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await listeningPort(child);
    await waitFor('the address', () => output.includes('Slipway is up'));
    const once = await fetch(`http://127.0.0.1:${port}/login/once?token=${'0'.repeat(48)}`, { redirect: 'manual' });
    child.kill('SIGTERM');
    const result = await done;

    expect(result.stdout).toContain('Slipway is up');
    expect(result.stdout).not.toContain('/login/once');
    expect(once.status).toBe(401);
  });

  it('rejects an unknown command with usage', async () => {
    const result = await runCli(['deploy-everything']);

    expect(result.code).toBe(64);
    expect(result.stderr).toContain('unknown command "deploy-everything"');
    expect(result.stderr).toContain('usage: slipway <command>');
  });

  it.each([
    [['pool', 'refill'], 'slipway: unknown pool action "refill"'],
    [['pool', 'seed', 'group/app protected'], 'slipway: pool seed needs a project affinity and at least one image'],
    [['pool', 'status', 'extra'], 'usage: slipway pool <status|seed|drain>'],
  ])('refuses %j with a line naming what to fix', async (args, message) => {
    const result = await runCli(args);

    expect(result.code).toBe(64);
    expect(result.stderr).toContain(message);
  });

  it('refuses to seed when the pool is off, naming the variable', async () => {
    const result = await runCli(['pool', 'seed', 'group/app protected', 'python:3.8-slim'], { SLIPWAY_POOL_SIZE: '0' });

    expect(result.code).toBe(64);
    expect(result.stderr).toContain('slipway: the pool is off: set SLIPWAY_POOL_SIZE to the number of daemons to keep ready');
  });
});
