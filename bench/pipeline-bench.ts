import { appendFile, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createDockerExecutor } from '../src/executors/docker/docker-executor.js';
import { startDind } from '../src/executors/docker/dind.js';
import { runPipeline } from '../src/pipeline/run/engine.js';
import { PROJECT_DIR } from '../src/pipeline/plan.js';
import { predefinedVariables } from '../src/pipeline/predefined-variables.js';
import { readPipeline } from '../src/pipeline/read/read-pipeline.js';
import type { PipelinePlan } from '../src/pipeline/plan.js';
import { exampleCopy, executorOptions, fakeSha, host, labFacts, pipelineRun, uniqueName } from '../test/helpers/docker-lab.js';
import { lab } from '../test/helpers/lab.js';
import { median, printTable } from './print-table.js';

const DIND_SAMPLES = 5;

async function dindStartToReady(): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < DIND_SAMPLES; i += 1) {
    const started = performance.now();
    const daemon = await startDind(host, uniqueName('bench'), executorOptions.dind, new AbortController().signal);
    samples.push(performance.now() - started);
    await daemon.destroy();
  }
  return samples;
}

const BUILD_ONLY: PipelinePlan = {
  source: 'Dockerfile',
  jobs: [{ kind: 'build', name: 'build', stage: 'build', dockerfile: 'Dockerfile', context: '.', buildArgs: {} }],
};

export async function pipelineBench(): Promise<void> {
  const executor = createDockerExecutor(host, executorOptions);
  const dind = await dindStartToReady();
  printTable('dind daemon: start to ready', [
    ['samples', String(dind.length)],
    ['median', `${median(dind).toFixed(0)} ms`],
    ['min / max', `${Math.min(...dind).toFixed(0)} / ${Math.max(...dind).toFixed(0)} ms`],
  ]);

  const dir = await exampleCopy();
  try {
    const project = uniqueName('bench/hello');
    const cold = await runPipeline(pipelineRun(dir, BUILD_ONLY, { project, sha: fakeSha() }), executor);
    await appendFile(path.join(dir, 'hello.py'), '\n# a code-only change\n');
    const warm = await runPipeline(pipelineRun(dir, BUILD_ONLY, { project, sha: fakeSha() }), executor);
    const coldMs = cold.jobs[0]!.durationMs;
    const warmMs = warm.jobs[0]!.durationMs;
    printTable('build job (pull cache, build, push), fresh dind each', [
      ['cold (no cache image)', `${coldMs} ms, ${cold.image?.cachedSteps}/${cold.image?.totalSteps} steps cached`],
      ['warm after code-only change', `${warmMs} ms, ${warm.image?.cachedSteps}/${warm.image?.totalSteps} steps cached`],
      ['warm / cold', (warmMs / coldMs).toFixed(2)],
    ]);

    const full = await runPipeline(pipelineRun(dir, await readPipeline(dir)), executor);
    const jobsMs = full.jobs.reduce((sum, job) => sum + job.durationMs, 0);
    printTable('full pipeline (test + build), overhead beyond the jobs', [
      ['pipeline', `${full.durationMs} ms (${full.status})`],
      ['jobs', full.jobs.map((job) => `${job.name} ${job.durationMs} ms`).join(', ')],
      ['overhead (dind start and removal)', `${full.durationMs - jobsMs} ms`],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await gitlabCiBench(executor);
}

const GITLAB_CI_FIXTURE = path.resolve(import.meta.dirname, '../test/fixtures/gitlab-ci/tornado.gitlab-ci.yml');

/** The common `.gitlab-ci.yml` run unchanged: its build job drives the pipeline's daemon with the docker CLI. */
async function gitlabCiBench(executor: ReturnType<typeof createDockerExecutor>): Promise<void> {
  const dir = await exampleCopy({ '.slipway.yml': null, '.gitlab-ci.yml': await readFile(GITLAB_CI_FIXTURE, 'utf8') });
  try {
    const project = uniqueName('bench/gitlab-ci');
    const once = async () => {
      const sha = fakeSha();
      let buildLog = '';
      const observer = { jobOutput: (job: { name: string }, text: string) => void (job.name === 'build' && (buildLog += text)) };
      const facts = labFacts({ id: uniqueName('bench'), project, sha });
      const plan = await readPipeline(dir, { variables: predefinedVariables(facts) });
      const result = await runPipeline(pipelineRun(dir, plan, { id: facts.id, project, sha, jobToken: 'slipway-bench' }), executor, observer);
      const build = result.jobs.find((job) => job.name === 'build')!;
      return { result, buildMs: build.durationMs, cached: buildLog.match(/^ ---> Using cache$/gm)?.length ?? 0, steps: /^Step \d+\/(\d+) :/m.exec(buildLog)?.[1] ?? '?' };
    };
    const cold = await once();
    await appendFile(path.join(dir, 'hello.py'), '\n# a code-only change\n');
    const warm = await once();
    printTable('.gitlab-ci.yml (test, then docker CLI build with --cache-from), fresh dind each', [
      ['cold pipeline', `${cold.result.durationMs} ms (${cold.result.status}); build job ${cold.buildMs} ms, ${cold.cached}/${cold.steps} steps cached`],
      ['warm after code-only change', `${warm.result.durationMs} ms (${warm.result.status}); build job ${warm.buildMs} ms, ${warm.cached}/${warm.steps} steps cached`],
      ['warm / cold build job', (warm.buildMs / cold.buildMs).toFixed(2)],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
