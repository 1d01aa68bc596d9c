import type { PipelineQueue } from '../../src/store/pipeline-queue.js';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { startService, type Service, type ServiceOptions } from '../../src/wiring/start-service.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { labEnv } from './docker-lab.js';
import { TEST_SIGNING_KEY_FILE } from './test-signing-key.js';

export const GITHUB_SECRET = 'github-webhook-secret-for-tests';
export const GITLAB_SECRET = 'gitlab-webhook-token-for-tests';
export const GITLAB_URL = 'https://gitlab.slipway.test';
export const PUBLIC_URL = 'http://slipway.test';
/** The admin token every test service accepts (pages and APIs need a login). */
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';
export const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` };

// One key for the whole run: RSA generation is slow, and probot only needs a valid key to sign its JWT.
const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

export interface TestService {
  base: string;
  service: Service;
  database: TestDatabase;
  db: pg.Pool;
  stop(): Promise<void>;
}

/** The real service on a fresh database, configured for both forges, with short leases and debounce. */
export async function startTestService(env: Record<string, string> = {}, options: ServiceOptions = {}, database?: TestDatabase): Promise<TestService> {
  const db = database ?? (await createTestDatabase());
  const config = loadConfig({
    ...labEnv,
    DATABASE_URL: db.url,
    PORT: '0',
    PUBLIC_URL,
    APP_ID: '12345',
    PRIVATE_KEY,
    WEBHOOK_SECRET: GITHUB_SECRET,
    GITLAB_URL,
    GITLAB_TOKEN: 'glpat-test-token',
    LOG_LEVEL: 'silent',
    SLIPWAY_ADMIN_TOKEN: ADMIN_TOKEN,
    SLIPWAY_SIGNING_KEY_FILE: TEST_SIGNING_KEY_FILE,
    ...env,
  } as Record<string, string>);
  const service = await startService(config, createLogger(process.env.SLIPWAY_TEST_LOG_LEVEL ?? 'silent'), { leaseMs: 3_000, pollMs: 200, reportDebounceMs: 100, ...options });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  return {
    base: `http://127.0.0.1:${service.http!.port}`,
    service,
    database: db,
    db: pool,
    async stop() {
      await service.stop();
      await pool.end();
      if (!database) await db.drop();
    },
  };
}

export function signGithub(body: string, secret = GITHUB_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function postGithub(base: string, event: string, payload: unknown, options: { deliveryId?: string; secret?: string; rawBody?: string } = {}) {
  const body = options.rawBody ?? JSON.stringify(payload);
  return fetch(`${base}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': options.deliveryId ?? crypto.randomUUID(),
      'x-hub-signature-256': signGithub(body, options.secret),
    },
    body,
  });
}

const projectSecrets = new Map<string, Promise<string>>();

/** Project `projectId`'s webhook secret on the service at `base`, issued through its API once, as an operator would. */
export function gitlabSecretFor(base: string, projectId: number | string, adminToken = ADMIN_TOKEN): Promise<string> {
  const key = `${base} ${projectId}`;
  let secret = projectSecrets.get(key);
  if (!secret) {
    secret = fetch(`${base}/api/webhook-secrets/gitlab/${projectId}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } }).then(async (response) => {
      if (response.status !== 201) throw new Error(`could not issue a webhook secret: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { secret: string }).secret;
    });
    projectSecrets.set(key, secret);
  }
  return secret;
}

/** The project a GitLab hook is about, as its body says (0 when it says nothing readable). */
export function gitlabProjectIdOf(payload: unknown): number {
  const body = payload as { project?: { id?: unknown }; project_id?: unknown } | undefined;
  const id = body?.project?.id ?? body?.project_id;
  return typeof id === 'number' ? id : 0;
}

/** A GitLab hook with the secret of the project it is about (unless `token` says otherwise). */
export async function postGitlab(base: string, event: string, payload: unknown, options: { token?: string | null; idempotencyKey?: string; rawBody?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-gitlab-event': event, 'idempotency-key': options.idempotencyKey ?? crypto.randomUUID() };
  if (options.token !== null) headers['x-gitlab-token'] = options.token ?? (await gitlabSecretFor(base, gitlabProjectIdOf(payload)));
  return fetch(`${base}/webhooks/gitlab`, { method: 'POST', headers, body: options.rawBody ?? JSON.stringify(payload) });
}

export async function count(db: pg.Pool, table: 'deliveries' | 'pipelines'): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

export async function pipelineRow(db: pg.Pool, id: number) {
  const { rows } = await db.query('SELECT * FROM pipelines WHERE id = $1', [id]);
  return rows[0] as { status: string; cancel_reason: string | null; attempts: number; lease_owner: string | null; image_ref: string | null; image_digest: string | null; error: string | null; sha: string };
}

/** Queues a GitLab push pipeline of `project` at `sha` (on main), as an accepted webhook would; returns its id. */
export async function queueGitlabPush(queue: PipelineQueue, project: string, sha: string, ref = 'main'): Promise<number> {
  const accepted = await queue.accept({
    target: { forge: 'gitlab', project, apiContext: { projectId: 7 } },
    deliveryId: `delivery-${sha}`,
    event: 'push',
    action: 'run',
    sha,
    ref,
    defaultBranch: 'main',
    changeRequest: null,
    fromFork: false,
    diffBase: null,
  });
  if (accepted.outcome !== 'queued') throw new Error(`expected a queued pipeline, got ${accepted.outcome}`);
  return accepted.pipelineId;
}
