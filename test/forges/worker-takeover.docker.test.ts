import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_INSTALLATION, LABEL_OWNER, LABEL_PIPELINE, LABEL_ROLE, listDinds } from '../../src/executors/docker/dind.js';
import { PID_NAMESPACE } from '../../src/executors/owner-label.js';
import { installationIdOf } from '../../src/store/installation-id.js';
import { createPipelineQueue } from '../../src/store/pipeline-queue.js';
import type { Pool } from '../../src/store/pool.js';
import { forgeArchive } from '../helpers/archive.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { EXAMPLE, executorOptions, fakeSha, host, uniqueName } from '../helpers/docker-lab.js';
import { fakeGitlab } from '../helpers/fake-forges.js';
import { asAdmin, GITLAB_URL, pipelineRow, queueGitlabPush, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';

const SCRIPT = `test:\n  image: busybox\n  script:\n    - printf '\\033[31mred alert\\033[0m\\n'\n    - echo "<b>not bold</b>"\nbuild: false\n`;

describe('a worker that dies', () => {
  let database: MigratedDatabase;
  let pool: Pool;
  let lab: TestService | undefined;
  const archives = new Map<string, Buffer>();
  let gitlab: ReturnType<typeof fakeGitlab>;
  beforeAll(async () => {
    database = await createMigratedDatabase();
    pool = database.pool;
    gitlab = fakeGitlab(GITLAB_URL, archives);
  });
  afterAll(async () => {
    await lab?.stop();
    await database.drop();
  });

  it('leaves a pipeline that another worker finishes once the lease expires, and a dind daemon that is removed', async () => {
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(EXAMPLE, { '.slipway.yml': SCRIPT }));
    const queue = createPipelineQueue(pool);
    const accepted = { pipelineId: await queueGitlabPush(queue, uniqueName('slipway-test/takeover'), sha) };
    // The dead worker claimed the pipeline and started its daemon, then was killed.
    const claimed = await queue.claim('dead-host/424242/abc', 500);
    const orphan = await host.createContainer({
      Image: executorOptions.dind.image,
      Labels: { [LABEL_ROLE]: 'dind', [LABEL_PIPELINE]: String(accepted.pipelineId), [LABEL_OWNER]: `${os.hostname()}/999999998.${PID_NAMESPACE}`, [LABEL_INSTALLATION]: await installationIdOf(pool) },
    });
    await waitFor('the dead worker’s lease to run out', async () => (await pool.query('SELECT lease_expires_at < now() AS over FROM pipelines WHERE id = $1', [accepted.pipelineId])).rows[0].over);

    lab = await startTestService({}, {}, database);
    const finished = await waitFor('the pipeline to pass on the new worker', async () => {
      const row = await pipelineRow(lab!.db, accepted.pipelineId);
      return row.status === 'passed' && row;
    });
    await waitFor('the success status', () => gitlab.record.statuses.some((status) => status.sha === sha && status.state === 'success'));

    expect(claimed?.id).toBe(accepted.pipelineId);
    expect(finished.attempts).toBe(2);
    expect(finished.lease_owner).toBeNull();
    expect((await listDinds(host)).map((dind) => dind.id)).not.toContain(orphan.id);
  });
});

describe('the pipeline page', () => {
  let page: TestService;
  beforeAll(async () => {
    page = await startTestService({}, { workers: false, deploys: false });
  });
  afterAll(async () => {
    await page?.stop();
  });

  /** A passed pipeline with one job whose log is `log`, as a worker would have recorded it. */
  async function passedPipelineWithLog(db: TestService['db'], log: string): Promise<number> {
    const { rows } = await db.query<{ id: number }>(
      `INSERT INTO pipelines (forge, project, sha, ref, status, finished_at) VALUES ('gitlab', $1, $2, 'main', 'passed', now()) RETURNING id`,
      [uniqueName('slipway-test/page'), fakeSha()],
    );
    const id = Number(rows[0]!.id);
    const job = await db.query<{ id: number }>(`INSERT INTO jobs (pipeline_id, name, kind, stage, position, status) VALUES ($1, 'test', 'script', 'test', 0, 'passed') RETURNING id`, [id]);
    await db.query('INSERT INTO job_log_chunks (job_id, seq, content) VALUES ($1, 0, $2)', [job.rows[0]!.id, log]);
    return id;
  }

  it('shows the pipeline on a page a person can read, with colours, escaped, and as JSON', async () => {
    const id = await passedPipelineWithLog(page.db, "\u001b[31mred alert\u001b[0m\n<b>not bold</b>\n");

    const response = await fetch(`${page.base}/pipelines/${id}`, { headers: asAdmin });
    const html = await response.text();
    const json = await fetch(`${page.base}/pipelines/${id}`, { headers: { ...asAdmin, accept: 'application/json' } });
    const body = (await json.json()) as { status: string; jobs: Array<{ name: string; log: string }> };

    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain(`<h1>Pipeline #${id} <span id="pipeline-status"><span class="badge passed">passed</span></span>`);
    expect(html).toContain('<span style="color:#A00">red alert</span>');
    expect(html).toContain('&lt;b&gt;not bold&lt;/b&gt;');
    expect(html).not.toContain('<b>not bold</b>');
    expect(body.status).toBe('passed');
    expect(body.jobs[0]?.log).toContain('\u001b[31mred alert');
  });

  it.each([
    ['/pipelines/999999', 404, 'there is no pipeline #999999'],
    ['/pipelines/latest', 400, '"latest" is not a pipeline number'],
  ])('answers %s with %s', async (path, status, error) => {
    const response = await fetch(`${page.base}${path}`, { headers: asAdmin });

    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error });
  });
});
