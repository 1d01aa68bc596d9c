import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitlabForge } from '../../src/forges/gitlab/gitlab-forge.js';
import type { ScriptJobSpec } from '../../src/pipeline/plan.js';
import { readPipeline } from '../../src/pipeline/read/read-pipeline.js';
import { createIncludeFetcher, fetchRemote } from '../../src/runner/fetch-include.js';

// nock (set up for every file) replaces Node's sockets, and the address checks under test live in them.
beforeAll(() => nock.restore());
afterAll(() => nock.activate());
/** A template server on loopback: the kind of address a fork must not make Slipway reach, unless allowed. */
let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((request, response) => {
    if (request.url === '/ci/base.yml') response.end('.base:\n  image: alpine\n  script: [echo from remote]\n');
    else if (request.url === '/moved.yml') response.writeHead(302, { location: '/ci/base.yml' }).end();
    else if (request.url === '/huge.yml') response.end(Buffer.alloc(2 * 1024 * 1024, 'a'));
    else if (request.url === '/slow.yml') setTimeout(() => response.end('late: {}\n'), 5_000).unref();
    else if (request.url === '/drip.yml') drip(response);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const allowLoopback = { timeoutMs: 2_000, allowedAddresses: ['127.0.0.1'] };

/** One byte every 100 ms, for ever: never idle long enough for an idle timeout to notice. */
function drip(response: http.ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/plain' });
  const timer = setInterval(() => response.write('#'), 100);
  response.on('close', () => clearInterval(timer));
}

describe('include:remote', () => {
  it('refuses private and loopback addresses unless the server allows them', async () => {
    expect(await fetchRemote(`${base}/ci/base.yml`, { timeoutMs: 2_000, allowedAddresses: [] })).toEqual({ error: expect.stringMatching(/could not be fetched: .*127\.0\.0\.1.*not allowed/i) });
    expect(await fetchRemote(`${base}/ci/base.yml`, allowLoopback)).toEqual({ text: expect.stringContaining('from remote') });
  });

  it('names a status, a redirect, a size past the limit and a time-out', async () => {
    expect(await fetchRemote(`${base}/missing.yml`, allowLoopback)).toEqual({ error: `${base}/missing.yml answered 404` });
    expect(await fetchRemote(`${base}/moved.yml`, allowLoopback)).toEqual({
      error: `${base}/moved.yml answered 302: Slipway does not follow redirects for includes, so name the final URL (/ci/base.yml)`,
    });
    expect(await fetchRemote(`${base}/huge.yml`, allowLoopback)).toEqual({ error: `${base}/huge.yml is larger than the 1048576 bytes an included file may be` });
    expect(await fetchRemote(`${base}/slow.yml`, { ...allowLoopback, timeoutMs: 300 })).toEqual({ error: `${base}/slow.yml could not be fetched: no answer within 0.3 s` });
  });

  it('cuts off a server that drips its answer at the deadline for the whole file, not an idle timeout', async () => {
    const started = Date.now();

    const answer = await fetchRemote(`${base}/drip.yml`, { ...allowLoopback, timeoutMs: 800 });

    expect(answer).toEqual({ error: `${base}/drip.yml could not be read: not all of it arrived within 0.8 s` });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('stops fetching the moment the pipeline is canceled', async () => {
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(new Error('canceled by the merge request closing')), 300);

    const answer = await fetchRemote(`${base}/drip.yml`, { ...allowLoopback, timeoutMs: 60_000 }, cancel.signal);

    expect(answer).toEqual({ error: `${base}/drip.yml could not be read: canceled by the merge request closing` });
  });

  it('reaches the plan through the reading thread, which asks for it and reads again', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-remote-include-'));
    try {
      await writeFile(path.join(dir, '.gitlab-ci.yml'), `include: ${base}/ci/base.yml\ntest:\n  extends: .base\n`);
      const fetchInclude = createIncludeFetcher({ forge: createGitlabForge({ url: 'https://gitlab.example.com', token: 't' }), target: { forge: 'gitlab', project: 'team/app', apiContext: { projectId: 1 } }, sha: 'c'.repeat(40), includeProjects: [], remote: allowLoopback });
      const plan = await readPipeline(dir, { variables: { CI_COMMIT_BRANCH: 'main' }, timeoutMs: 10_000, fetchInclude });
      expect(plan.jobs.map((job) => [job.name, (job as ScriptJobSpec).script])).toEqual([['test', ['echo from remote']]]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

