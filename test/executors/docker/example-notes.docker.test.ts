import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerClient } from '../../../src/executors/docker/docker-client.js';
import { createDockerExecutor } from '../../../src/executors/docker/docker-executor.js';
import { runPipeline } from '../../../src/pipeline/run/engine.js';
import { repositoryPath } from '../../../src/pipeline/image-names.js';
import { predefinedVariables } from '../../../src/pipeline/predefined-variables.js';
import { readPipeline } from '../../../src/pipeline/read/read-pipeline.js';
import { executorOptions, labFacts, pipelineRun, registry, seedPythonLayers } from '../../helpers/docker-lab.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../../examples/notes-postgres');
const executor = createDockerExecutor(createDockerClient(), executorOptions);

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

/** The example as a repository would hold it, with only the named pipeline file. */
async function checkout(keep: '.slipway.yml' | '.gitlab-ci.yml'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-notes-'));
  folders.push(dir);
  await cp(EXAMPLE, dir, { recursive: true });
  await rm(path.join(dir, keep === '.slipway.yml' ? '.gitlab-ci.yml' : '.slipway.yml'));
  return dir;
}

describe('the notes-postgres example', () => {
  it.each(['.slipway.yml', '.gitlab-ci.yml'] as const)('passes its PostgreSQL-backed tests and pushes its image, from %s', async (file) => {
    const dir = await checkout(file);
    const facts = labFacts();
    await seedPythonLayers(facts.project);
    const plan = await readPipeline(dir, { variables: predefinedVariables(facts) });
    let log = '';
    // The lab registry takes any credential; a real one takes this pipeline's job token.
    const result = await runPipeline({ ...pipelineRun(dir, plan, { jobToken: 'slipway-example-token' }), facts }, executor, { jobOutput: (_job, text) => (log += text) });

    expect(result.jobs.map((job) => [job.name, job.status])).toEqual([
      ['test', 'passed'],
      ['build', 'passed'],
    ]);
    expect(log).toMatch(/^Ran 2 tests in /m);
    const tag = file === '.slipway.yml' ? facts.sha : facts.sha.slice(0, 8);
    expect((await registry.getManifest(repositoryPath(facts.project), tag))?.digest).toMatch(/^sha256:/);
  });
});
