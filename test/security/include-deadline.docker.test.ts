import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeArchive } from '../helpers/archive.js';
import { fakeSha, uniqueName } from '../helpers/docker-lab.js';
import { fakeGitlab } from '../helpers/fake-forges.js';
import { gitlabMergeRequest, gitlabPush } from '../helpers/forge-payloads.js';
import { GITLAB_URL, pipelineRow, postGitlab, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';

/** A skipped pipeline needs no daemon: what shows the only worker is free again. */
const SKIPPED = `workflow:\n  rules:\n    - if: $CI_COMMIT_BRANCH == "never"\ntest:\n  image: busybox\n  script: [echo never]\n`;

describe('a fork’s include that drips holds no worker', () => {
  let lab: TestService;
  let server: http.Server;
  let base: string;
  const archives = new Map<string, Buffer>();

  beforeAll(async () => {
    server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => response.write('#'), 200);
      response.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fakeGitlab(GITLAB_URL, archives);
    lab = await startTestService({ SLIPWAY_CONCURRENCY: '1', SLIPWAY_INCLUDE_ALLOWED_ADDRESSES: '127.0.0.1' });
  });
  afterAll(async () => {
    await lab?.stop();
    server.closeAllConnections();
    server.close();
  });

  it('frees the worker within 5 s of the merge request closing, and the next project’s pipeline runs', async () => {
    const project = uniqueName('acme/forked');
    const [held, next] = [fakeSha(), fakeSha()];
    archives.set(held, await forgeArchive(undefined, { '.gitlab-ci.yml': `include: ${base}/ci.yml\ntest:\n  script: [echo hi]\n` }));
    archives.set(next, await forgeArchive(undefined, { '.gitlab-ci.yml': SKIPPED }));
    const opened = (await (await postGitlab(lab.base, 'Merge Request Hook', gitlabMergeRequest({ project, sha: held, iid: 3, fromFork: true }))).json()) as { pipelineId: number };
    await waitFor('the dripping pipeline to be claimed', async () => (await pipelineRow(lab.db, opened.pipelineId)).status === 'running');
    const other = (await (await postGitlab(lab.base, 'Push Hook', gitlabPush({ project: uniqueName('acme/other'), sha: next, ref: 'main' }))).json()) as { pipelineId: number };

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const waiting = (await pipelineRow(lab.db, other.pipelineId)).status;
    const closedAt = Date.now();
    await postGitlab(lab.base, 'Merge Request Hook', gitlabMergeRequest({ project, sha: held, iid: 3, fromFork: true, action: 'close' }));
    await waitFor('the other project’s pipeline to run', async () => (await pipelineRow(lab.db, other.pipelineId)).status === 'skipped', 10_000);
    const freedAfterMs = Date.now() - closedAt;

    expect(waiting).toBe('queued');
    expect(freedAfterMs).toBeLessThan(5_000);
    expect((await pipelineRow(lab.db, opened.pipelineId)).status).toBe('canceled');
  });
});
