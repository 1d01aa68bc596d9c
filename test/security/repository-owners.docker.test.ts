import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryPath } from '../../src/pipeline/image-names.js';
import { createRepositoryOwners } from '../../src/store/repository-owners.js';
import { forgeArchive } from '../helpers/archive.js';
import { fakeSha, TINY_APP, uniqueName } from '../helpers/docker-lab.js';
import { fakeGithub } from '../helpers/fake-forges.js';
import { githubPush } from '../helpers/forge-payloads.js';
import { pipelineRow, postGithub, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';

describe('one registry repository per project', () => {
  let lab: TestService;
  const archives = new Map<string, Buffer>();

  beforeAll(async () => {
    fakeGithub(archives);
    lab = await startTestService();
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('refuses a GitHub project’s pipeline whose path’s repository a GitLab project already owns, naming both, before any job or token', async () => {
    const project = uniqueName('acme/shared-name');
    const owners = createRepositoryOwners(lab.db);
    await owners.claim(repositoryPath(project), { forge: 'gitlab', project });
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(TINY_APP));

    const accepted = (await (await postGithub(lab.base, 'push', githubPush({ repo: project, sha, ref: 'main' }))).json()) as { pipelineId: number };
    const row = await waitFor('the pipeline to be refused', async () => {
      const found = await pipelineRow(lab.db, accepted.pipelineId);
      return found.status === 'failed' && found;
    });
    const tokens = await lab.db.query('SELECT 1 FROM job_tokens WHERE pipeline_id = $1', [accepted.pipelineId]);
    const jobs = await lab.db.query(`SELECT 1 FROM jobs WHERE pipeline_id = $1 AND status <> 'queued'`, [accepted.pipelineId]);

    expect(row.error).toBe(
      `the registry repository ${repositoryPath(project)} belongs to gitlab:${project}, so github:${project} cannot push there: one project per repository (rename one of them, or run this one on another Slipway)`,
    );
    expect(tokens.rowCount).toBe(0);
    expect(jobs.rowCount).toBe(0);
  });

  it('lets the owner, in any letter case, keep its repository', async () => {
    const owners = createRepositoryOwners(lab.db);
    const project = uniqueName('Acme/Mixed');

    const first = await owners.claim(repositoryPath(project), { forge: 'gitlab', project });
    const again = await owners.claim(repositoryPath(project.toLowerCase()), { forge: 'gitlab', project: project.toLowerCase() });

    expect(first).toEqual({ forge: 'gitlab', project });
    expect(again).toEqual({ forge: 'gitlab', project });
  });
});
