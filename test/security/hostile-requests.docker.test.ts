import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, listeningPort, spawnCli, type CliResult } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SLACK_SIGNING_SECRET, SLACK_TEAM_ID } from '../helpers/slack-requests.js';
import { ADMIN_TOKEN, GITHUB_SECRET, gitlabProjectIdOf, gitlabSecretFor, signGithub } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';
import { startStandIn, type StandIn } from '../helpers/stand-in.js';
import { learnFromHook } from '../helpers/gitlab-world.js';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/gitlab');
const SHA = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
const TABLES = ['deliveries', 'pipelines', 'deployments', 'audit_events', 'slack_requests', 'job_tokens'] as const;

/** Sends a raw request line, as a broken or hostile client would, and returns the status line. */
function rawRequest(port: number, requestLine: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${requestLine}\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

function signSlack(body: string, timestamp: number): string {
  return `v0=${createHmac('sha256', SLACK_SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

describe('a live slipway serve under hostile requests', () => {
  let database: TestDatabase;
  let db: pg.Pool;
  let child: ChildProcessWithoutNullStreams;
  let done: Promise<CliResult>;
  let base: string;
  let port: number;
  let stand: StandIn;
  let policyDir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    stand = await startStandIn();
    policyDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-hostile-'));
    await writeFile(path.join(policyDir, 'slipway.yml'), 'projects:\n  team/app:\n    environments:\n      prod:\n        approvers: [UAPPROVER]\n');
    child = spawnCli(['serve'], {
      PORT: '0',
      DATABASE_URL: database.url,
      PUBLIC_URL: 'http://slipway.test',
      APP_ID: '1',
      PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      WEBHOOK_SECRET: GITHUB_SECRET,
      SLIPWAY_CONFIG: path.join(policyDir, 'slipway.yml'),
      GITLAB_URL: stand.url,
      GITLAB_TOKEN: 'glpat-test',
      SLIPWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET,
      SLACK_TEAM_ID,
      SLACK_API_URL: `${stand.url}/api/`,
      SLIPWAY_CONCURRENCY: '1',
    });
    done = finished(child);
    port = await listeningPort(child);
    base = `http://127.0.0.1:${port}`;
    db = new pg.Pool({ connectionString: database.url, max: 2 });
  });

  afterAll(async () => {
    child?.kill('SIGTERM');
    await done;
    await db?.end();
    stand?.close();
    await database?.drop();
    if (policyDir) await rm(policyDir, { recursive: true, force: true });
  });

  const counts = async () => {
    const result: Record<string, number> = {};
    for (const table of TABLES) result[table] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
    return result;
  };
  const stillServing = async () => {
    expect(child.exitCode).toBeNull();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  };

  it.each(['/pipelines/%', '/pipelines/%C0%AF', '/pipelines/%E0%A4%A', '/%', '/pipelines/1%00'])('answers GET %s without a 5xx and keeps serving', async (target) => {
    const status = await rawRequest(port, `GET ${target} HTTP/1.1`);

    expect(status).toMatch(/^HTTP\/1\.1 4\d\d /);
    await stillServing();
  });

  it.each(['GET http://[ HTTP/1.1', 'GET //[ HTTP/1.1', 'GET http://[::1 HTTP/1.1', 'GET * HTTP/1.1', 'GET /healthz\u0000 HTTP/1.1', 'BREW / HTTP/1.1'])(
    'answers the request line %j with a 4xx and keeps serving',
    async (line) => {
      const status = await rawRequest(port, line);

      expect(status).toMatch(/^HTTP\/1\.1 4\d\d /);
      await stillServing();
    },
  );

  const gitlabPush = (overrides: Record<string, unknown> = {}, project: Record<string, unknown> = {}) => ({
    object_kind: 'push',
    ref: 'refs/heads/main',
    before: '0'.repeat(40),
    after: SHA,
    checkout_sha: SHA,
    project_id: 7,
    project: { id: 7, path_with_namespace: 'team/app', default_branch: 'main', ...project },
    ...overrides,
  });
  const gitlabMr = (iid: number) => ({
    object_kind: 'merge_request',
    project: { id: 7, path_with_namespace: 'team/app', default_branch: 'main' },
    object_attributes: { iid, action: 'open', state: 'opened', source_branch: 'feature', target_branch: 'main', source_project_id: 7, target_project_id: 7, last_commit: { id: SHA } },
  });
  const githubPush = (overrides: Record<string, unknown> = {}) => ({
    ref: 'refs/heads/main',
    after: SHA,
    repository: { id: 1, full_name: 'team/app', default_branch: 'main' },
    installation: { id: 5 },
    ...overrides,
  });
  const githubPr = (number: number) => ({
    action: 'opened',
    number,
    pull_request: { head: { sha: SHA, ref: 'feature', repo: { full_name: 'team/app' } }, base: { ref: 'main', repo: { full_name: 'team/app' } } },
    repository: { id: 1, full_name: 'team/app', default_branch: 'main' },
    installation: { id: 5 },
  });

  /** With the webhook secret of the project the body names, as its webhook would send it. */
  const postGitlab = async (event: string, body: string, token?: string) => {
    let projectId = 0;
    try {
      projectId = gitlabProjectIdOf(JSON.parse(body));
    } catch {
      // Not JSON: any project's secret gets it past the token check, to the body's answer.
    }
    const secret = token ?? (await gitlabSecretFor(base, projectId));
    return fetch(`${base}/webhooks/gitlab`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-event': event, 'x-gitlab-token': secret }, body });
  };
  const postGithub = (event: string, body: string) =>
    fetch(`${base}/api/github/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': signGithub(body) },
      body,
    });

  it.each([
    ['GitLab: NUL in the ref', () => postGitlab('Push Hook', JSON.stringify(gitlabPush({ ref: 'refs/heads/ma\u0000in' }))), 'ref'],
    ['GitLab: NUL in the project path', () => postGitlab('Push Hook', JSON.stringify(gitlabPush({}, { path_with_namespace: 'team/\u0000app' }))), 'project.path_with_namespace'],
    ['GitLab: NUL in the default branch', () => postGitlab('Push Hook', JSON.stringify(gitlabPush({}, { default_branch: 'ma\u0000in' }))), 'project.default_branch'],
    ['GitLab: a merge request number of 2^31', () => postGitlab('Merge Request Hook', JSON.stringify(gitlabMr(2 ** 31))), 'object_attributes.iid'],
    ['GitLab: a ref longer than an index entry', () => postGitlab('Push Hook', JSON.stringify(gitlabPush({ ref: `refs/heads/${'é'.repeat(3000)}` }))), 'ref'],
    ['GitLab: an `after` that is not a SHA', () => postGitlab('Push Hook', JSON.stringify(gitlabPush({ after: 'HEAD' }))), 'after'],
    ['GitHub: NUL in the ref', () => postGithub('push', JSON.stringify(githubPush({ ref: 'refs/heads/ma\u0000in' }))), 'ref'],
    ['GitHub: NUL in the repository name', () => postGithub('push', JSON.stringify(githubPush({ repository: { id: 1, full_name: 'team/\u0000app', default_branch: 'main' } }))), 'repository.full_name'],
    ['GitHub: NUL in the default branch', () => postGithub('push', JSON.stringify(githubPush({ repository: { id: 1, full_name: 'team/app', default_branch: '\u0000' } }))), 'repository.default_branch'],
    ['GitHub: a pull request number of 2^31', () => postGithub('pull_request', JSON.stringify(githubPr(2 ** 31))), 'number'],
    ['GitHub: a push `after` that is not a SHA', () => postGithub('push', JSON.stringify(githubPush({ after: 'not-a-sha' }))), 'after'],
    ['GitHub: a ref longer than an index entry', () => postGithub('push', JSON.stringify(githubPush({ ref: `refs/heads/${'x'.repeat(5000)}` }))), 'ref'],
  ])('answers a body with %s with 400 naming the field, and records nothing', async (_name, send, field) => {
    const before = await counts();

    const response = await send();
    const body = (await response.json()) as { error: string };

    expect(response.status).toBe(400);
    expect(body.error).toContain(field);
    expect(await counts()).toEqual(before);
  });

  it('still accepts every GitLab webhook body in the corpus, or refuses it with the field named', async () => {
    const files = readdirSync(CORPUS).filter((name) => name.endsWith('.json') && !name.endsWith('.source.json'));
    const answers: Array<[string, number, string]> = [];

    for (const file of files) {
      const event = (JSON.parse(readFileSync(path.join(CORPUS, `${file}.source.json`), 'utf8')) as { header_x_gitlab_event: string }).header_x_gitlab_event;
      const body = readFileSync(path.join(CORPUS, file), 'utf8');
      // GitLab sent these: the stand-in GitLab holds what they describe, so their facts check out.
      learnFromHook(event, body);
      const response = await postGitlab(event, body);
      answers.push([file, response.status, await response.text()]);
    }

    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const [file, status, text] of answers) {
      expect([200, 202, 400], `${file}: ${text}`).toContain(status);
      if (status === 400) expect(text, file).toMatch(/"error":"Merge Request Hook body: [a-z_.]+ |"error":"Push Hook body: [a-z_.]+ /);
    }
    expect(answers.filter(([, status]) => status === 202).length).toBeGreaterThanOrEqual(3);
    await stillServing();
  });

  it('refuses a wrong GitLab token before reading the body, and records nothing', async () => {
    const before = await counts();

    const response = await postGitlab('Push Hook', JSON.stringify(gitlabPush()), 'wrong-token');

    expect(response.status).toBe(401);
    expect(await counts()).toEqual(before);
  });

  it('keeps memory bounded under forty concurrent 25 MiB unauthenticated bodies', async () => {
    const before = rssBytes(child.pid!);
    const body = Buffer.alloc(25 * 1024 * 1024 - 1024, 'a');
    const send = (route: string) =>
      new Promise<number>((resolve) => {
        const request = http.request(`${base}${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-github-event': 'push', 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': 'sha256=00', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'wrong' },
        });
        request.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        // The server may answer and close before the upload ends: that is a refusal too.
        request.on('error', () => resolve(0));
        request.end(body);
      });
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(child.pid!))), 50);

    const statuses = await Promise.all(Array.from({ length: 40 }, (_, index) => send(index % 4 === 0 ? '/webhooks/gitlab' : '/api/github/webhooks')));
    clearInterval(sampler);

    expect(statuses.every((status) => status === 0 || status === 401 || status === 429)).toBe(true);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(peak - before).toBeLessThan(400 * 1024 * 1024);
    await stillServing();
  });

  it('answers 413 at once to a declared body over the limit', async () => {
    const status = await rawRequest(port, `POST /api/github/webhooks HTTP/1.1\r\ncontent-length: ${30 * 1024 * 1024}\r\nx-github-event: push`);

    expect(status).toBe('HTTP/1.1 413 Payload Too Large');
    await stillServing();
  });

  describe('Slack', () => {
    const command = (text: string, extra: Record<string, string> = {}) =>
      new URLSearchParams({ team_id: SLACK_TEAM_ID, channel_id: 'C1', user_id: 'UREQUESTER', command: '/deploy', text, trigger_id: crypto.randomUUID(), ...extra }).toString();
    const click = (value: string) =>
      new URLSearchParams({
        payload: JSON.stringify({
          type: 'block_actions',
          user: { id: 'UAPPROVER', team_id: SLACK_TEAM_ID },
          team: { id: SLACK_TEAM_ID },
          channel: { id: 'C1' },
          trigger_id: crypto.randomUUID(),
          container: { type: 'message', message_ts: '1.1', channel_id: 'C1' },
          actions: [{ action_id: 'deploy_approve', block_id: 'b', value, type: 'button', action_ts: '1' }],
        }),
      }).toString();
    const send = (body: string, timestamp = Math.floor(Date.now() / 1000), signature = signSlack(body, timestamp)) =>
      fetch(`${base}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
        body,
      });

    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('refuses /deploy <sha> %s as an unknown environment', async (environment) => {
      const before = await counts();

      const response = await send(command(`${SHA.slice(0, 10)} ${environment}`));
      const body = (await response.json()) as { text: string };

      expect(response.status).toBe(200);
      expect(body.text).toMatch(/^Not deploying: /);
      expect((await counts()).deployments).toBe(before.deployments);
      expect((await counts()).audit_events).toBe(before.audit_events);
    });

    it('refuses a request from another workspace and records nothing', async () => {
      const before = await counts();

      const response = await send(command('status', { team_id: 'TOTHERTEAM' }));

      expect(response.status).toBe(403);
      expect(await counts()).toEqual(before);
    });

    it('refuses a byte-identical replay of a request', async () => {
      const body = command('status');
      const timestamp = Math.floor(Date.now() / 1000);

      const first = await send(body, timestamp);
      const replay = await send(body, timestamp);

      expect(first.status).toBe(200);
      expect(replay.status).toBe(401);
      expect(((await replay.json()) as { error: string }).error).toContain('replay');
    });

    it.each([
      ['ten minutes in the future', 600],
      ['ten minutes in the past', -600],
    ])('refuses a timestamp %s and records nothing', async (_name, offset) => {
      const before = await counts();

      const response = await send(command('status'), Math.floor(Date.now() / 1000) + offset);

      expect(response.status).toBe(401);
      expect(await counts()).toEqual(before);
    });

    it.each(['0x1', 'abc', '1e3', '-1', '99999999999999999999'])('answers a button value of %j with an ephemeral message', async (value) => {
      const before = stand.calls.length;

      const response = await send(click(value));
      const ephemeral = await waitFor('the ephemeral answer', () => {
        const calls = stand.calls.slice(before).filter((call) => call.path.startsWith('/api/chat.postEphemeral'));
        return calls.length > 0 && calls;
      });

      expect(response.status).toBe(200);
      expect(ephemeral.map((call) => new URLSearchParams(call.body).get('text') ?? JSON.parse(call.body).text)).toEqual(['Not approved: this button does not name a Slipway deploy request']);
      await stillServing();
    });
  });
});
