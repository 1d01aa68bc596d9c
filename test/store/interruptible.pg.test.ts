import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForgeEvent } from '../../src/model/forge-event.js';
import type { ScriptJobSpec } from '../../src/pipeline/plan.js';
import { createPipelineQueue } from '../../src/store/pipeline-queue.js';
import { createPipelineStore } from '../../src/store/pipeline-store.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { fakeSha, uniqueName } from '../helpers/docker-lab.js';

describe('a newer commit and an older pipeline’s uninterruptible jobs (GitLab’s interruptible)', () => {
  let database: MigratedDatabase;
  beforeAll(async () => {
    database = await createMigratedDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const event = (project: string, sha: string): ForgeEvent => ({
    target: { forge: 'gitlab', project, apiContext: { projectId: 1 } },
    deliveryId: uniqueName('delivery'),
    event: 'merge_request.update',
    action: 'run',
    sha,
    ref: 'feature',
    defaultBranch: 'main',
    changeRequest: 5,
    fromFork: false,
    diffBase: 'main',
  });
  const job = (name: string, interruptible?: boolean): ScriptJobSpec => ({
    kind: 'script', name, stage: 'test', image: 'alpine', script: ['true'], variables: {}, ...(interruptible === undefined ? {} : { interruptible }),
  });

  /** An older pipeline with `jobs`, those named in `started` running, and what a newer commit does to it. */
  async function supersede(jobs: ScriptJobSpec[], started: string[]) {
    const queue = createPipelineQueue(database.pool);
    const store = createPipelineStore(database.pool);
    const project = uniqueName('team/app');
    const older = await queue.accept(event(project, fakeSha()));
    if (older.outcome !== 'queued') throw new Error(`unexpected ${older.outcome}`);
    const recorded = await store.replaceJobs(older.pipelineId, { source: '.gitlab-ci.yml', jobs });
    for (const name of started) await store.markJobRunning(recorded.jobIds.get(name)!);
    const newer = await queue.accept(event(project, fakeSha()));
    const { rows } = await database.pool.query<{ cancel_requested: boolean }>('SELECT cancel_requested FROM pipelines WHERE id = $1', [older.pipelineId]);
    return { superseded: newer.outcome === 'queued' ? newer.superseded : undefined, canceled: rows[0]!.cancel_requested, olderId: older.pipelineId };
  }

  it('cancels the older pipeline while only interruptible jobs have started, or none', async () => {
    const started = await supersede([job('unit', true), job('deploy-db', false)], ['unit']);
    expect(started).toMatchObject({ canceled: true, superseded: [started.olderId] });
    const notYet = await supersede([job('deploy-db', false)], []);
    expect(notYet).toMatchObject({ canceled: true, superseded: [notYet.olderId] });
  });

  it('lets the older pipeline finish once a job that is not interruptible has started', async () => {
    expect(await supersede([job('unit', true), job('migrate', false)], ['unit', 'migrate'])).toMatchObject({ canceled: false, superseded: [] });
  });

  it('treats .slipway.yml jobs (no interruptible) as interruptible, as before', async () => {
    expect(await supersede([job('test')], ['test'])).toMatchObject({ canceled: true });
  });
});
