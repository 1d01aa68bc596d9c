import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const TABLES = ['api_tokens', 'audit_events', 'deliveries', 'deployments', 'environment_locks', 'installation', 'job_artifacts', 'job_log_chunks', 'job_service_logs', 'job_tokens', 'jobs', 'pipelines', 'project_variables', 'registry_pushes', 'registry_repositories', 'review_apps', 'slack_requests', 'web_sessions', 'webhook_secrets', 'workers'];

async function tablesIn(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_name <> 'pgmigrations' ORDER BY table_name`,
    );
    return rows.map((row) => row.table_name);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await database.drop();
  });

  it('create every table on a fresh database and remove them all going down', async () => {
    const applied = await migrate(database.url);
    const afterUp = await tablesIn(database.url);
    const reverted = await migrate(database.url, { direction: 'down', count: applied.length });
    const afterDown = await tablesIn(database.url);

    expect(applied).toEqual(['1764168000000_initial-schema', '1764172000000_forge-pipelines', '1764176000000_accept-event-function', '1764180000000_gitlab-ci-pipelines', '1764190000000_hardening', '1764200000000_services-and-variables', '1764300000000_gitlab-ci-conformance', '1764400000000_web-ui', '1764500000000_deploy-safety', '1764600000000_approval-briefing', '1764700000000_workers', '1764800000000_installation', '1764810000000_registry-pushes', '1764820000000_registry-repositories', '1764830000000_webhook-secrets', '1764840000000_diff-base', '1764850000000_waiting-jobs',
      '1764860000000_deploy-jobs',
      '1764870000000_stop-environments',
      '1764880000000_review-apps',
      '1764890000000_failure-allowed',
      '1764900000000_trigger-jobs']);
    expect(afterUp).toEqual(TABLES);
    expect(reverted).toEqual([...applied].reverse());
    expect(afterDown).toEqual([]);
  });

  it('move what rules:changes compares with out of the forge context into a column of its own, and back going down', async () => {
    await migrate(database.url, { count: 15 });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const insert = `INSERT INTO pipelines (forge, project, sha, ref, default_branch, from_fork, forge_context, event) VALUES ('gitlab', 'team/app', $1, 'feature', 'main', false, $2, 'push') RETURNING id`;
      const withBase = (await client.query<{ id: number }>(insert, ['a'.repeat(40), { projectId: 7, diffBase: 'b'.repeat(40) }])).rows[0]!.id;
      const without = (await client.query<{ id: number }>(insert, ['c'.repeat(40), { projectId: 7 }])).rows[0]!.id;
      const rows = async () => (await client.query('SELECT id, diff_base, forge_context FROM pipelines ORDER BY id')).rows;

      expect(await migrate(database.url, { count: 1 })).toEqual(['1764840000000_diff-base']);
      expect(await rows()).toEqual([
        { id: withBase, diff_base: 'b'.repeat(40), forge_context: { projectId: 7 } },
        { id: without, diff_base: null, forge_context: { projectId: 7 } },
      ]);

      await migrate(database.url, { direction: 'down' });
      expect((await client.query('SELECT id, forge_context FROM pipelines ORDER BY id')).rows).toEqual([
        { id: withBase, forge_context: { projectId: 7, diffBase: 'b'.repeat(40) } },
        { id: without, forge_context: { projectId: 7 } },
      ]);
    } finally {
      await client.end();
    }
  });

  it('do nothing the second time', async () => {
    await migrate(database.url);

    expect(await migrate(database.url)).toEqual([]);
  });

  it('let two processes migrating at once both succeed, applying each migration once', async () => {
    const [first, second] = await Promise.all([
      runCli(['migrate'], { DATABASE_URL: database.url }),
      runCli(['migrate'], { DATABASE_URL: database.url }),
    ]);

    expect([first.code, second.code]).toEqual([0, 0]);
    expect([first.stdout, second.stdout].sort()).toEqual(['applied: 1764168000000_initial-schema, 1764172000000_forge-pipelines, 1764176000000_accept-event-function, 1764180000000_gitlab-ci-pipelines, 1764190000000_hardening, 1764200000000_services-and-variables, 1764300000000_gitlab-ci-conformance, 1764400000000_web-ui, 1764500000000_deploy-safety, 1764600000000_approval-briefing, 1764700000000_workers, 1764800000000_installation, 1764810000000_registry-pushes, 1764820000000_registry-repositories, 1764830000000_webhook-secrets, 1764840000000_diff-base, 1764850000000_waiting-jobs, 1764860000000_deploy-jobs, 1764870000000_stop-environments, 1764880000000_review-apps, 1764890000000_failure-allowed, 1764900000000_trigger-jobs\n', 'nothing to migrate\n']);
    expect(await tablesIn(database.url)).toEqual(TABLES);
  });
});
