import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createDockerExecutor } from '../../../src/executors/docker/docker-executor.js';
import { runPipeline } from '../../../src/pipeline/run/engine.js';
import type { PipelinePlan, ScriptJobSpec } from '../../../src/pipeline/plan.js';
import { readPipeline } from '../../../src/pipeline/read/read-pipeline.js';
import { dindsOf, executorOptions, host, pipelineRun, tinyAppCopy } from '../../helpers/docker-lab.js';

const executor = createDockerExecutor(host, executorOptions);

function testOnly(job: Partial<ScriptJobSpec>): PipelinePlan {
  return {
    source: '.slipway.yml',
    jobs: [{ kind: 'script', name: 'test', stage: 'test', image: 'busybox', script: ['true'], variables: {}, ...job }],
  };
}

describe('pipelines that go wrong', () => {
  const folders: string[] = [];
  afterEach(async () => {
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });
  async function source(changes: Record<string, string> = {}) {
    const dir = await tinyAppCopy(changes);
    folders.push(dir);
    return dir;
  }

  it('fail the build with the daemon’s message when the Dockerfile is broken', async () => {
    const dir = await source({ Dockerfile: 'FROM busybox\nRUN exit 3\n' });
    const run = pipelineRun(dir, await readPipeline(dir));

    const result = await runPipeline(run, executor);

    expect(result.status).toBe('failed');
    expect(result.jobs.map((job) => job.status)).toEqual(['passed', 'failed']);
    expect(result.jobs[1]?.error).toBe("docker build failed: The command '/bin/sh -c exit 3' returned a non-zero code: 3");
    expect(await dindsOf(run.facts.id)).toEqual([]);
  });

  it('fail the job with a clear message when its image does not exist', async () => {
    const dir = await source();
    const run = pipelineRun(dir, testOnly({ image: 'python:9.9-no-such-tag' }));

    const result = await runPipeline(run, executor);

    expect(result.status).toBe('failed');
    // The daemon's own reason follows: "manifest unknown" from a registry, or (here, with no
    // Docker Hub behind the mirror) why it could not ask.
    expect(result.jobs[0]?.error).toMatch(/^could not pull the job image "python:9\.9-no-such-tag": \S/);
    expect(await dindsOf(run.facts.id)).toEqual([]);
  });

  it('stop a job at its timeout and say so', async () => {
    const dir = await source();
    // The timeout covers the whole job, image pull included: room for busybox's pull, a moment.
    const run = pipelineRun(dir, testOnly({ script: ['echo script started', 'sleep 120'], timeoutMs: 8_000 }));
    let output = '';

    const result = await runPipeline(run, executor, { jobOutput: (_job, text) => (output += text) });

    expect(output).toMatch(/^script started$/m);
    expect(result.status).toBe('failed');
    expect(result.jobs[0]?.error).toBe('timed out after 8.0s');
    expect(output).toContain('timed out after 8.0s');
    expect(result.jobs[0]?.durationMs).toBeLessThan(30_000);
    expect(await dindsOf(run.facts.id)).toEqual([]);
  });

  it('stop at once when canceled: the dind daemon is gone within 5 s', async () => {
    const dir = await source();
    const run = pipelineRun(dir, testOnly({ script: ['sleep 300'] }));
    const controller = new AbortController();
    let canceledAt = 0;
    const observer = {
      jobOutput: (_job: unknown, text: string) => {
        if (text.includes('$ sleep 300') && !controller.signal.aborted) {
          canceledAt = Date.now();
          controller.abort(new Error('superseded'));
        }
      },
    };

    const result = await runPipeline(run, executor, observer, controller.signal);
    const stoppedAfterMs = Date.now() - canceledAt;

    expect(canceledAt).toBeGreaterThan(0);
    expect(result.status).toBe('canceled');
    expect(result.jobs[0]?.status).toBe('canceled');
    expect(await dindsOf(run.facts.id)).toEqual([]);
    expect(stoppedAfterMs).toBeLessThan(5_000);
  });

  it('mask secret values in job output, even split across writes', async () => {
    const dir = await source();
    const secret = 'registry-password-4f9a';
    const run = pipelineRun(dir, testOnly({ script: ['echo "token is $MY_TOKEN"', `printf 'regis'; printf 'try-password-4f9a\\n'`], variables: { MY_TOKEN: secret } }), {
      secrets: [secret],
    });
    let output = '';

    const result = await runPipeline(run, executor, { jobOutput: (_job, text) => (output += text) });

    expect(result.status).toBe('passed');
    expect(output).toContain('token is [masked]');
    expect(output).not.toContain(secret);
  });
});
