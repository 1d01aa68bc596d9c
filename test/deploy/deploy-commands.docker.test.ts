import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy-file.js';
import { carryOutDeployment } from '../../src/deploy/carry-out-deployment.js';
import { deployCommands } from '../../src/deploy/deploy-commands.js';
import { createDeployEvents, type DeployEvent } from '../../src/deploy/deploy-events.js';
import { environmentRepository } from '../../src/registry/project-repositories.js';
import { createStores, type Stores } from '../../src/wiring/create-runtime.js';
import type { Pool } from '../../src/store/pool.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { fakeSha, registry, uniqueName } from '../helpers/docker-lab.js';
import { lab } from '../helpers/lab.js';
import { pushTestImage } from '../helpers/test-images.js';

/** The deploy commands over a real database and registry, with no service, no HTTP and no chat. */
describe('deploy commands', () => {
  const project = uniqueName('slipway-test/commands');
  const [shaA, shaB] = [fakeSha(), fakeSha()];
  const digests: Record<string, string> = {};
  const policy = parsePolicy(`
projects:
  ${project}:
    environments:
      prod: { approvers: [UAPPROVER, SOPS] }
      open: { approvers: [UAPPROVER], requesters: [UDEV], allowSelfApproval: true }
`);
  let database: MigratedDatabase;
  let pool: Pool;
  let stores: Stores;
  const seen: DeployEvent[] = [];
  let commands: ReturnType<typeof deployCommands>;
  const name = (ids: string[]) => ids.join(', ');

  beforeAll(async () => {
    digests.a = await pushTestImage(project, shaA, 'LABEL v=a');
    digests.b = await pushTestImage(project, shaB, 'LABEL v=b');
    database = await createMigratedDatabase(4);
    pool = database.pool;
    stores = createStores(pool);
    const events = createDeployEvents((error) => {
      throw error;
    });
    events.subscribe((event) => void seen.push(event));
    commands = deployCommands({ store: stores.deployments, testedCommits: stores.testedCommits, policy, directory: { groupsOf: async (user) => new Set(user === 'UCAROL' ? ['SOPS'] : []) }, events, name });
    for (const [sha, digest] of [[shaA, digests.a], [shaB, digests.b]] as const) {
      await pool.query(
        `INSERT INTO pipelines (forge, project, sha, ref, status, image_ref, image_digest, finished_at) VALUES ('gitlab', $1, $2, 'main', 'passed', $3, $4, now())`,
        [project, sha, `${lab.registry}/${project}:${sha}`, digest],
      );
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  const carryOut = async (id: number) => {
    const events = createDeployEvents(() => undefined);
    const claimed = (await stores.deployments.claim('test-runner', 60_000))!;
    expect(claimed.id).toBe(id);
    return carryOutDeployment(claimed, 'test-runner', {
      store: stores.deployments,
      policy,
      registryFor: () => registry,
      runAction: async () => 'nothing to run',
      logger: createLogger('silent'),
      events,
      name,
    });
  };

  it('requests a deploy of a tested commit, written as project:environment, and an approver of a group approves it', async () => {
    const requested = await commands.request('UDEV', shaA.slice(0, 9), `${project}:prod`);
    if (!requested.ok) throw new Error(requested.reason);

    const decided = await commands.decide(requested.deployment.id, 'UCAROL', 'approved');

    expect(requested.approvers).toEqual(['UAPPROVER', 'SOPS']);
    expect(decided.ok && decided.deployment.status).toBe('approved');
    expect(seen.filter((event) => event.deployment.id === requested.deployment.id).map((event) => event.type)).toEqual(['changed', 'approved']);
  });

  it('carries out an approved deploy once: the environment tag at the digest, recorded before and after', async () => {
    const { rows } = await pool.query<{ id: number }>(`SELECT id FROM deployments WHERE status = 'approved' ORDER BY id LIMIT 1`);

    const finished = await carryOut(rows[0]!.id);

    expect(finished).toMatchObject({ status: 'succeeded', previousRecorded: true, previousDigest: null });
    expect(finished?.promotedAt).toBeInstanceOf(Date);
    expect((await registry.getManifest(environmentRepository(project), 'prod'))?.digest).toBe(digests.a);
  });

  it.each([
    ['a requester not on the list', () => commands.request('UDEV', shaA, 'prod').then(() => commands.request('USTRANGER', shaA, 'open')), 'you may not deploy to open: ask UDEV'],
    ['an unknown environment', () => commands.request('UDEV', shaA, 'constructor'), `there is no environment called constructor; known: ${project}:prod, ${project}:open`],
    ['a SHA no pipeline ran', () => commands.request('UDEV', 'f'.repeat(12), 'prod'), 'no pipeline has run for a commit starting with ffffffffffff'],
  ])('refuses %s with the reason', async (_name, act, reason) => {
    expect(await act()).toEqual({ ok: false, reason });
  });

  it('lets only approvers lock, refuses requests while locked, and unlocks', async () => {
    const notAllowed = await commands.lock('UDEV', 'prod', 'freeze');
    const locked = await commands.lock('UAPPROVER', 'prod', 'release freeze');
    const refused = await commands.request('UDEV', shaB, 'prod');
    const unlocked = await commands.unlock('UCAROL', 'prod');

    expect(notAllowed).toEqual({ ok: false, reason: "only prod's approvers may lock it" });
    expect(locked.ok).toBe(true);
    expect(!refused.ok && refused.reason).toMatch(/^prod is locked by UAPPROVER since .* UTC: release freeze$/);
    expect(unlocked.ok && unlocked.message).toBe('prod is unlocked.');
  });

  it('rolls back only to a digest a deploy confirmed, and reports status and history', async () => {
    const first = await commands.rollback('UDEV', 'prod');
    const b = await commands.request('UDEV', shaB, 'prod');
    if (!b.ok) throw new Error(b.reason);
    await commands.decide(b.deployment.id, 'UAPPROVER', 'approved');
    await carryOut(b.deployment.id);

    const rollback = await commands.rollback('UDEV', 'prod');
    const status = await commands.status('prod');
    const history = await commands.history('prod');

    expect(first).toEqual({ ok: false, reason: `${shaA.slice(0, 12)} is the only image ever deployed to prod: there is no earlier one to roll back to` });
    expect(rollback.ok && rollback.deployment).toMatchObject({ kind: 'rollback', sha: shaA, digest: digests.a, imageRef: `${lab.registry}/${project}@${digests.a}` });
    expect(status.ok && status.environments[0]?.current?.digest).toBe(digests.b);
    expect(history.ok && history.events.map((event) => event.action).slice(0, 4)).toEqual(['rollback requested', 'deployed', 'approved', 'requested']);
  });

  it('lets a requester withdraw but not approve their own request where self-approval is off', async () => {
    const requested = await commands.request('UAPPROVER', shaA, 'prod');
    if (!requested.ok) throw new Error(requested.reason);

    const approved = await commands.decide(requested.deployment.id, 'UAPPROVER', 'approved');
    const withdrawn = await commands.decide(requested.deployment.id, 'UAPPROVER', 'rejected');

    expect(approved).toEqual({ ok: false, reason: 'you asked for this deploy, so someone else must approve it (prod does not allow self-approval)' });
    expect(withdrawn.ok && withdrawn.deployment.status).toBe('rejected');
  });
});
