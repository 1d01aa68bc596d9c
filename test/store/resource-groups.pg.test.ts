import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGitlabCiFile } from '../../src/pipeline/read/gitlab-ci/read-gitlab-ci.js';
import type { ScriptJobSpec } from '../../src/pipeline/plan.js';
import { createLocalResourceGroups, type ResourceGroups } from '../../src/pipeline/resource-groups.js';
import { createResourceGroupLocks } from '../../src/store/resource-group-locks.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';
import { uniqueName } from '../helpers/docker-lab.js';

let database: MigratedDatabase;
beforeAll(async () => {
  database = await createMigratedDatabase(4);
});
afterAll(async () => {
  await database?.drop();
});

const never = () => new AbortController().signal;

/** What happens to a second job of the same group, and to one of another group, while the first holds it. */
async function contend(groups: () => ResourceGroups) {
  const project = uniqueName('team/app');
  // Two "workers": two separate instances, as two processes would have.
  const [first, second] = [groups(), groups()];
  const events: string[] = [];
  const releaseA = await first.acquire(project, 'production', never());
  const waiting = second.acquire(project, 'production', never()).then((release) => {
    events.push('second holds production');
    return release;
  });
  const other = await second.acquire(project, 'staging', never());
  events.push('staging taken at once');
  await new Promise((resolve) => setTimeout(resolve, 700));
  events.push('first lets go');
  await releaseA();
  const releaseB = await waiting;
  await releaseB();
  await other();

  const stop = new AbortController();
  const holder = await first.acquire(project, 'production', never());
  const canceled = second.acquire(project, 'production', stop.signal);
  stop.abort(new Error('pipeline canceled'));
  await expect(canceled).rejects.toThrow('pipeline canceled');
  await holder();
  // Nothing is left held: the group is free again.
  await (await second.acquire(project, 'production', never()))();
  return events;
}

describe('resource_group', () => {
  it('across workers, through PostgreSQL: one job per group at a time, others free, a wait that can be canceled', async () => {
    expect(await contend(() => createResourceGroupLocks(database.pool))).toEqual(['staging taken at once', 'first lets go', 'second holds production']);
  });

  it('within one process, for slipway run without a database, the same way', async () => {
    const local = createLocalResourceGroups();
    expect(await contend(() => local)).toEqual(['staging taken at once', 'first lets go', 'second holds production']);
  });

  it('is read from the file, with variables expanded when the job runs', () => {
    const [job] = parseGitlabCiFile('image: alpine\nmigrate:\n  resource_group: db-$CI_ENVIRONMENT_NAME\n  script: [make migrate]\n', {}).jobs as ScriptJobSpec[];
    expect(job!.resourceGroup).toBe('db-$CI_ENVIRONMENT_NAME');
    expect(() => parseGitlabCiFile('image: alpine\nmigrate:\n  resource_group: ""\n  script: [x]\n', {})).toThrow('migrate.resource_group must be a name, such as production (line 3)');
  });
});
