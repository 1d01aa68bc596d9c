import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerClient } from '../../src/executors/docker/docker-client.js';
import { createDockerExecutor } from '../../src/executors/docker/docker-executor.js';
import { runPipeline } from '../../src/pipeline/run/engine.js';
import { readPipeline } from '../../src/pipeline/read/read-pipeline.js';
import { executorOptions, pipelineRun } from '../helpers/docker-lab.js';

const executor = createDockerExecutor(createDockerClient(), executorOptions);
const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function runFile(gitlabCi: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-needs-'));
  folders.push(dir);
  await writeFile(path.join(dir, '.gitlab-ci.yml'), gitlabCi);
  const events: string[] = [];
  const output = new Map<string, string>();
  const result = await runPipeline(pipelineRun(dir, await readPipeline(dir)), executor, {
    jobStarted: (job) => void events.push(`start ${job.name}`),
    jobFinished: (job, finished) => void events.push(`${finished.status} ${job.name}`),
    jobOutput: (job, text) => output.set(job.name, (output.get(job.name) ?? '') + text),
  });
  return { result, events, output };
}

describe('needs in a real pipeline', () => {
  it('starts a job as soon as what it needs is done, across stages, and a needs: [] job at once', async () => {
    // `slow` holds its stage for long enough that anything waiting for the whole stage would start after it.
    const { result, events, output } = await runFile(`image: python:3.8-slim
stages: [build, test, release]
slow:
  stage: build
  script: [sleep 8, echo slow done]
fast:
  stage: build
  script: [echo fast done]
after-fast:
  stage: test
  needs: [fast]
  script:
    - echo "after fast, node $CI_NODE_INDEX of $CI_NODE_TOTAL"
  parallel: 2
at-once:
  stage: release
  needs: []
  script: [echo at once]
stage-bound:
  stage: test
  script: [echo after every build job]
`);
    expect(result.status).toBe('passed');
    const at = (event: string) => events.indexOf(event);
    expect(at('start after-fast 1/2')).toBeGreaterThan(at('passed fast'));
    expect(at('start after-fast 1/2')).toBeLessThan(at('passed slow'));
    expect(at('start at-once')).toBeLessThan(at('passed slow'));
    expect(at('start stage-bound')).toBeGreaterThan(at('passed slow'));
    expect(output.get('after-fast 2/2')).toContain('after fast, node 2 of 2');
  });

  it('skips what needs a failed job, directly or not, and leaves the rest running', async () => {
    const { result } = await runFile(`image: python:3.8-slim
stages: [build, test, release]
broken:
  stage: build
  script: [exit 3]
fine:
  stage: build
  script: [echo fine]
uses-broken:
  stage: test
  needs: [broken]
  script: [echo never]
uses-that:
  stage: release
  needs: [uses-broken]
  script: [echo never]
uses-fine:
  stage: test
  needs: [fine]
  script: [echo runs]
report:
  stage: release
  needs: [uses-broken]
  when: on_failure
  script: [echo reporting]
`);
    expect(result.status).toBe('failed');
    expect(result.jobs.map((job) => [job.name, job.status, job.error])).toEqual([
      ['broken', 'failed', 'the script exited with code 3'],
      ['fine', 'passed', undefined],
      ['uses-broken', 'skipped', 'skipped because broken failed'],
      ['uses-fine', 'passed', undefined],
      ['uses-that', 'skipped', 'skipped because broken failed'],
      ['report', 'passed', undefined],
    ]);
  });
});
