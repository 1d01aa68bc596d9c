import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentRepository } from '../../src/registry/project-repositories.js';
import { finished, listeningPort, spawnCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fakeSha, labEnv, registry, uniqueName } from '../helpers/docker-lab.js';
import { fakeSlack, SLACK_API_URL } from '../helpers/fake-slack.js';
import { lab } from '../helpers/lab.js';
import { buttonClick, SLACK_SIGNING_SECRET, SLACK_TEAM_ID, slashCommand } from '../helpers/slack-requests.js';
import { startHoldingHook, startStandIn, type StandIn } from '../helpers/stand-in.js';
import { pushTestImage } from '../helpers/test-images.js';
import { fakeGitlab } from '../helpers/fake-forges.js';
import { GITLAB_URL, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';
import { signAsBuilt } from '../helpers/provenance.js';

async function policyFile(project: string, environment: string, hookUrl: string): Promise<{ file: string; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-deploy-policy-'));
  const file = path.join(dir, 'slipway.yml');
  await writeFile(
    file,
    `projects:\n  ${project}:\n    environments:\n      ${environment}:\n        approvers: [UAPPROVER]\n        action: { type: webhook, url: "${hookUrl}", secret: a-webhook-secret-for-tests, timeout: 120 }\n`,
  );
  return { file, dir };
}

/** A pipeline of main that passed with `digest`, signed as its run would have signed it. */
async function insertPassedPipeline(db: pg.Pool, project: string, sha: string, digest: string): Promise<void> {
  const imageRef = `${lab.registry}/${project}:${sha}`;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO pipelines (forge, project, sha, ref, status, image_ref, image_digest, finished_at, forge_context)
     VALUES ('gitlab', $1, $2, 'main', 'passed', $3, $4, now(), '{"projectId": 9}') RETURNING id`,
    [project, sha, imageRef, digest],
  );
  await signAsBuilt({ ref: imageRef, digest }, { project, pipelineId: Number(rows[0]!.id) });
}

const idOf = (text: string) => Number(/#(\d+)/.exec(text)![1]);

describe('approved deploys wait in the database, not in a connection', () => {
  const project = uniqueName('slipway-test/queue');
  const sha = fakeSha();
  let digest: string;
  let service: TestService;
  let hook: Awaited<ReturnType<typeof startHoldingHook>>;
  let policy: { file: string; dir: string };

  beforeAll(async () => {
    digest = await pushTestImage(project, sha, 'LABEL queue=yes');
    hook = await startHoldingHook();
    policy = await policyFile(project, 'slow', hook.url);
    fakeSlack();
    fakeGitlab(GITLAB_URL, new Map());
    service = await startTestService({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET, SLACK_TEAM_ID, SLACK_API_URL, SLIPWAY_CONFIG: policy.file }, { workers: false });
    await insertPassedPipeline(service.db, project, sha, digest);
  });
  afterAll(async () => {
    hook?.release();
    await service?.stop();
    hook?.close();
    if (policy) await rm(policy.dir, { recursive: true, force: true });
  });

  it('takes twelve approvals behind a hanging action with quick acks and a healthy service, then carries out each once, in order', async () => {
    const ids: number[] = [];
    const ackMs: number[] = [];
    for (let index = 0; index < 12; index += 1) {
      const asked = (await (await slashCommand(service.base, 'UREQUESTER', `${sha.slice(0, 10)} slow`)).json()) as { text: string };
      const id = idOf(asked.text);
      ids.push(id);
      const started = performance.now();
      const click = await buttonClick(service.base, 'UAPPROVER', 'deploy_approve', String(id));
      ackMs.push(performance.now() - started);
      expect(click.status).toBe(200);
      if (index === 0) await waitFor('the first deploy to reach its action', () => hook.received.length === 1);
    }
    const health = await fetch(`${service.base}/healthz`);
    const waiting = await service.db.query<{ status: string }>('SELECT status FROM deployments WHERE id = ANY($1) ORDER BY id', [ids]);

    expect(health.status).toBe(200);
    expect(Math.max(...ackMs)).toBeLessThan(1_000);
    expect(hook.received).toHaveLength(1);
    expect(waiting.rows.map((row) => row.status)).toEqual(['deploying', ...Array(11).fill('approved')]);

    hook.release();
    await waitFor(
      'every deploy to finish',
      async () => (await service.db.query('SELECT count(*)::int AS n FROM deployments WHERE id = ANY($1) AND status = $2', [ids, 'succeeded'])).rows[0].n === 12,
    );
    const deployed = await service.db.query<{ deployment_id: string }>(`SELECT deployment_id FROM audit_events WHERE action = 'deployed' AND deployment_id = ANY($1) ORDER BY id`, [ids]);

    expect(hook.received.map((body) => (JSON.parse(body) as { deploymentId: number }).deploymentId)).toEqual(ids);
    expect(deployed.rows.map((row) => Number(row.deployment_id))).toEqual(ids);
    expect((await registry.getManifest(environmentRepository(project), 'slow'))?.digest).toBe(digest);
  });
});

describe('a process killed in the middle of a deploy', () => {
  const project = uniqueName('slipway-test/crash');
  const sha = fakeSha();
  let digest: string;
  let database: TestDatabase;
  let db: pg.Pool;
  let stand: StandIn;
  let hook: Awaited<ReturnType<typeof startHoldingHook>>;
  let policy: { file: string; dir: string };
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    digest = await pushTestImage(project, sha, 'LABEL crash=yes');
    database = await createTestDatabase();
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    stand = await startStandIn();
    hook = await startHoldingHook();
    policy = await policyFile(project, 'prod', hook.url);
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    hook?.release();
    hook?.close();
    stand?.close();
    await db?.end();
    await database?.drop();
    if (policy) await rm(policy.dir, { recursive: true, force: true });
  });

  const serve = async () => {
    const child = spawnCli(['serve'], {
      ...labEnv,
      LOG_LEVEL: 'info',
      PORT: '0',
      DATABASE_URL: database.url,
      GITLAB_URL: stand.url,
      GITLAB_TOKEN: 'glpat-test',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET,
      SLACK_TEAM_ID,
      SLACK_API_URL: `${stand.url}/api/`,
      SLIPWAY_CONFIG: policy.file,
      SLIPWAY_CONCURRENCY: '0',
      SLIPWAY_LEASE_SECONDS: '3',
    });
    children.push(child);
    const port = await listeningPort(child);
    return { child, base: `http://127.0.0.1:${port}`, done: finished(child) };
  };

  it('is finished exactly once by the next process: the environment tag at the approved digest, one deployed row', async () => {
    const first = await serve();
    await insertPassedPipeline(db, project, sha, digest);
    const asked = (await (await slashCommand(first.base, 'UREQUESTER', `${sha.slice(0, 10)} prod`)).json()) as { text: string };
    const id = idOf(asked.text);
    await buttonClick(first.base, 'UAPPROVER', 'deploy_approve', String(id));
    await waitFor('the deploy to reach its action', () => hook.received.length === 1);
    const midway = (await db.query('SELECT status, previous_recorded, promoted_at FROM deployments WHERE id = $1', [id])).rows[0];

    first.child.kill('SIGKILL');
    await first.done;
    hook.release();
    await serve();
    const done = await waitFor('the deploy to be finished by the next process', async () => {
      const row = (await db.query('SELECT status, attempts, lease_owner FROM deployments WHERE id = $1', [id])).rows[0];
      return row.status === 'succeeded' && row;
    });
    const deployed = await db.query(`SELECT count(*)::int AS n FROM audit_events WHERE deployment_id = $1 AND action = 'deployed'`, [id]);

    expect(midway.status).toBe('deploying');
    expect(midway.previous_recorded).toBe(true);
    expect(midway.promoted_at).not.toBeNull();
    expect(done.attempts).toBe(2);
    expect(done.lease_owner).toBeNull();
    expect(deployed.rows[0].n).toBe(1);
    expect((await registry.getManifest(environmentRepository(project), 'prod'))?.digest).toBe(digest);
    expect(hook.received).toHaveLength(2);
  });
});
