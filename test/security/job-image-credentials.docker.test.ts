import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerExecutor } from '../../src/executors/docker/docker-executor.js';
import { runPipeline } from '../../src/pipeline/run/engine.js';
import { readPipeline } from '../../src/pipeline/read/read-pipeline.js';
import { exampleCopy, executorOptions, host, pipelineRun, uniqueName } from '../helpers/docker-lab.js';

/** A registry that asks for Basic credentials and notes every Authorization it is sent. */
async function credentialRecorder() {
  const seen: string[] = [];
  const server = http.createServer((request, response) => {
    request.resume();
    const authorization = request.headers.authorization;
    if (!authorization) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="stand-in"', 'docker-distribution-api-version': 'registry/2.0', 'content-type': 'application/json' });
      response.end('{"errors":[{"code":"UNAUTHORIZED","message":"log in"}]}');
      return;
    }
    seen.push(Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString('utf8'));
    response.writeHead(404, { 'docker-distribution-api-version': 'registry/2.0', 'content-type': 'application/json' });
    response.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"not here"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => server.close() };
}

describe('the credentials a job image is pulled with', () => {
  let own: Awaited<ReturnType<typeof credentialRecorder>>;
  let foreign: Awaited<ReturnType<typeof credentialRecorder>>;
  const folders: string[] = [];
  beforeAll(async () => {
    own = await credentialRecorder();
    foreign = await credentialRecorder();
  });
  afterAll(async () => {
    own?.close();
    foreign?.close();
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('are the pipeline’s job token in Slipway’s registry, and none at all in another: Slipway’s account is never offered', async () => {
    const executor = createDockerExecutor(host, {
      ...executorOptions,
      registry: own.address,
      registryAuth: { username: 'slipway-admin', password: 'admin-password-never-sent', serveraddress: own.address },
    });
    const project = uniqueName('slipway-test/credentials');
    const dir = await exampleCopy({
      '.slipway.yml': null,
      '.gitlab-ci.yml': [
        'own:',
        `  image: ${own.address}/${project}/tools:1`,
        "  script: ['true']",
        'elsewhere:',
        `  image: ${foreign.address}/someone/tool:1`,
        "  script: ['true']",
        'service-elsewhere:',
        '  image: busybox',
        `  services: ['${foreign.address}/someone/db:1']`,
        "  script: ['true']",
      ].join('\n'),
    });
    folders.push(dir);

    const result = await runPipeline(pipelineRun(dir, await readPipeline(dir), { project, jobToken: 'job-token-of-this-pipeline' }), executor);

    // Neither stand-in has the images: every job fails to pull, which is all this needs.
    expect(result.jobs.map((job) => [job.name, job.status])).toEqual([
      ['own', 'failed'],
      ['elsewhere', 'failed'],
      ['service-elsewhere', 'failed'],
    ]);
    expect(result.jobs[1]!.error).toContain(`could not pull the job image "${foreign.address}/someone/tool:1"`);
    expect(own.seen.length).toBeGreaterThan(0);
    expect(new Set(own.seen)).toEqual(new Set(['gitlab-ci-token:job-token-of-this-pipeline']));
    expect(foreign.seen).toEqual([]);
  });
});
