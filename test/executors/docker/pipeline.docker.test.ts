import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDockerExecutor } from '../../../src/executors/docker/docker-executor.js';
import { runPipeline } from '../../../src/pipeline/run/engine.js';
import { readPipeline } from '../../../src/pipeline/read/read-pipeline.js';
import { repositoryPath } from '../../../src/pipeline/image-names.js';
import { dindsOf, exampleCopy, executorOptions, host, pipelineRun, registry, seedPythonLayers } from '../../helpers/docker-lab.js';

const executor = createDockerExecutor(host, executorOptions);

describe('a pipeline in its own dind daemon', () => {
  const folders: string[] = [];
  afterEach(async () => {
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });

  it('passes the Tornado example, pushes :<sha>, and the registry serves that digest', async () => {
    const dir = await exampleCopy();
    folders.push(dir);
    const run = pipelineRun(dir, await readPipeline(dir));
    await seedPythonLayers(run.facts.project);
    const output: string[] = [];

    const result = await runPipeline(run, executor, { jobOutput: (_job, text) => output.push(text) });
    const manifest = await registry.getManifest(repositoryPath(run.facts.project), run.facts.sha);

    expect(result.status, output.join('').slice(-2000)).toBe('passed');
    expect(result.jobs.map((job) => [job.name, job.status, job.exitCode])).toEqual([
      ['test', 'passed', 0],
      ['build', 'passed', 0],
    ]);
    expect(output.join('')).toMatch(/^Ran 1 test in /m);
    expect(result.image?.ref).toBe(`127.0.0.1:5000/${repositoryPath(run.facts.project)}:${run.facts.sha}`);
    expect(result.image?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifest?.digest).toBe(result.image?.digest);
    expect(await registry.getManifest(repositoryPath(run.facts.project), 'main')).not.toBeNull();
    expect(await registry.getManifest(repositoryPath(run.facts.project), 'latest')).not.toBeNull();
    expect(await dindsOf(run.facts.id)).toEqual([]);
  });

  it('fails on a failing test, skips the build and pushes nothing', async () => {
    const dir = await exampleCopy();
    folders.push(dir);
    const failingTest = (await readFile(path.join(dir, 'test_hello_world.py'), 'utf8')).replace('b"Hello, world"', 'b"Goodbye"');
    await writeFile(path.join(dir, 'test_hello_world.py'), failingTest);
    const run = pipelineRun(dir, await readPipeline(dir));

    const result = await runPipeline(run, executor);

    expect(result.status).toBe('failed');
    expect(result.jobs.map((job) => [job.name, job.status])).toEqual([
      ['test', 'failed'],
      ['build', 'skipped'],
    ]);
    expect(result.jobs[0]?.error).toBe('the script exited with code 1');
    expect(result.jobs[1]?.error).toBe('skipped because test failed');
    expect(result.image).toBeNull();
    expect(await registry.getManifest(repositoryPath(run.facts.project), run.facts.sha)).toBeNull();
    expect(await dindsOf(run.facts.id)).toEqual([]);
  });

  it('takes the dependency layers from cache after a code-only change, in a brand-new daemon', async () => {
    const dir = await exampleCopy();
    folders.push(dir);
    const plan = { source: 'Dockerfile', jobs: [{ kind: 'build' as const, name: 'build', stage: 'build', dockerfile: 'Dockerfile', context: '.', buildArgs: {} }] };
    const first = pipelineRun(dir, plan);
    await seedPythonLayers(first.facts.project);
    const second = { ...first, facts: { ...first.facts, id: `${first.facts.id}-2`, sha: first.facts.sha.replace(/^./, first.facts.sha[0] === 'a' ? 'b' : 'a') } };
    const daemons = new Set<string>();
    const remember = (pipelineId: string) => ({
      jobStarted: async () => (await dindsOf(pipelineId)).forEach((dind) => daemons.add(dind.id)),
    });

    const cold = await runPipeline(first, executor, remember(first.facts.id));
    await appendFile(path.join(dir, 'hello.py'), '\n# a code-only change\n');
    const warm = await runPipeline(second, executor, remember(second.facts.id));

    expect(cold.status, cold.jobs.map((job) => `${job.name}: ${job.error}`).join('; ')).toBe('passed');
    expect(warm.status, warm.jobs.map((job) => `${job.name}: ${job.error}`).join('; ')).toBe('passed');
    expect(cold.image?.cachedSteps).toBe(0);
    // FROM, WORKDIR, COPY requirements.txt and RUN pip install come from cache; COPY . . does not.
    expect(warm.image?.cachedSteps).toBeGreaterThanOrEqual(3);
    expect(warm.image?.cachedSteps).toBeLessThan(warm.image!.totalSteps);
    expect(warm.image?.digest).not.toBe(cold.image?.digest);
    expect(daemons.size).toBe(2);
  });
});
