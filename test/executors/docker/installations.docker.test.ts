import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { claimFromPool, drainPool, listPool, makeRoom, prunePool, seedPoolDaemon, type PoolSettings } from '../../../src/executors/docker/dind-pool.js';
import { ownerLabel } from '../../../src/executors/owner-label.js';
import { executorOptions, host, uniqueName } from '../../helpers/docker-lab.js';

/** Two installations on one Docker host: staging and prod, or a `slipway run` on another database. */
const staging = { ...executorOptions.dind, installation: `stg${randomBytes(4).toString('hex')}` };
const prod = { ...executorOptions.dind, installation: `prd${randomBytes(4).toString('hex')}` };
const full: PoolSettings = { size: 1, perProject: 1, idleMs: 600_000, lifetime: 'process' };
const pull = async () => undefined;

describe('two installations on one Docker host', () => {
  afterAll(async () => {
    for (const options of [staging, prod]) await drainPool(host, ownerLabel(), options, () => true);
  });

  it('never claim, evict, prune or drain each other’s pool daemons, even for the same project', async () => {
    const affinity = `gitlab:${uniqueName('acme/app')} protected`;
    const prodReady = await seedPoolDaemon(host, { affinity, seeds: [], pull }, ownerLabel(), prod, full, new AbortController().signal);
    const stagingReady = await seedPoolDaemon(host, { affinity, seeds: [], pull }, ownerLabel(), staging, full, new AbortController().signal);

    const claimed = await claimFromPool(host, affinity, 'staging-1', ownerLabel(), staging, full);
    await claimed?.destroy();
    // Staging's pool is full and sees everyone as gone: it may only make room among its own.
    const room = await makeRoom(host, `gitlab:${uniqueName('acme/other')} protected`, ownerLabel(), staging, full);
    const pruned = await prunePool(host, ownerLabel(), staging, { idleMs: 0 }, () => true);
    const drained = await drainPool(host, ownerLabel(), staging, () => true);
    const prodPool = (await listPool(host, prod.installation)).members;

    expect(claimed?.name).toBe(stagingReady);
    expect(room).toBe(true);
    expect(pruned).toEqual([]);
    expect(drained).toBe(0);
    expect(prodPool.map((member) => [member.name, member.state, member.running])).toEqual([[prodReady, 'ready', true]]);
    expect(prodReady).toMatch(new RegExp(`^slipway-ready-${prod.installation}-`));
  });
});
