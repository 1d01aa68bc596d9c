import { appendFile, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerExecutor } from '../../../src/executors/docker/docker-executor.js';
import { runPipeline, type PipelineResult } from '../../../src/pipeline/run/engine.js';
import { PROJECT_DIR } from '../../../src/pipeline/plan.js';
import { repositoryPath } from '../../../src/pipeline/image-names.js';
import { predefinedVariables } from '../../../src/pipeline/predefined-variables.js';
import { readPipeline } from '../../../src/pipeline/read/read-pipeline.js';
import { createRegistryClient } from '../../../src/registry/registry-client.js';
import { createJobTokenStore } from '../../../src/store/job-token-store.js';
import { createPipelineStore } from '../../../src/store/pipeline-store.js';
import { createPool, type Pool } from '../../../src/store/pool.js';
import { dindsOf, exampleCopy, executorOptions, fakeSha, host, labFacts, pipelineRun, seedPythonLayers, uniqueName } from '../../helpers/docker-lab.js';
import { lab } from '../../helpers/lab.js';
import { startTestService, type TestService } from '../../helpers/test-service.js';
import { REGISTRY_ADMIN, startTokenLab, type TokenLab, type TokenRegistry } from '../../helpers/token-registry.js';

const executor = createDockerExecutor(host, executorOptions);
const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/gitlab-ci/tornado.gitlab-ci.yml');

/** Each job's output, by job name. */
function outputs() {
  const byJob = new Map<string, string>();
  return {
    byJob,
    observer: { jobOutput: (job: { name: string }, text: string) => byJob.set(job.name, (byJob.get(job.name) ?? '') + text) },
    all: () => [...byJob.values()].join(''),
  };
}

describe('a .gitlab-ci.yml of the common docker:dind shape, run unchanged', () => {
  let tokenLab: TokenLab;
  let service: TestService;
  let registry: TokenRegistry;
  let pool: Pool;
  const folders: string[] = [];

  beforeAll(async () => {
    tokenLab = await startTokenLab();
    ({ service, registry: registry, pool } = tokenLab);
  });
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
    await tokenLab?.stop();
  });

  /** One pipeline as a worker runs it: recorded as running, with its own job token, against the token registry. */
  async function runGitlabCi(dir: string, project: string): Promise<{ result: PipelineResult; jobToken: string; sha: string; log: ReturnType<typeof outputs> }> {
    const sha = fakeSha();
    const store = createPipelineStore(pool);
    const { id } = await store.create({ forge: 'local', project, sha, ref: 'main', defaultBranch: 'main' }, [], 'test-runner');
    const jobToken = await createJobTokenStore(pool).issue({ pipelineId: id, repository: repositoryPath(project), actions: ['pull', 'push'], leaseOwner: 'test-runner' });
    const facts = labFacts({ id: String(id), project, sha, registry: registry.host });
    const plan = await readPipeline(dir, { variables: predefinedVariables(facts) });
    const log = outputs();
    const result = await runPipeline(pipelineRun(dir, plan, { id: String(id), project, sha, registry: registry.host, jobToken }), executor, log.observer);
    await pool.query(`UPDATE pipelines SET status = $2, finished_at = now() WHERE id = $1`, [id, result.status]);
    expect(await dindsOf(String(id))).toEqual([]);
    return { result, jobToken, sha, log };
  }

  it('passes the test stage, pushes :<short sha> and :latest with CI_JOB_TOKEN, runs the deploy stage, and reuses the cache after a code-only change', async () => {
    const dir = await exampleCopy({ '.slipway.yml': null, '.gitlab-ci.yml': await readFile(FIXTURE, 'utf8') });
    folders.push(dir);
    const project = uniqueName('slipway-test/gitlab');
    await seedPythonLayers(project);
    const repository = repositoryPath(project);
    const admin = createRegistryClient({ host: registry.host, username: REGISTRY_ADMIN.user, password: REGISTRY_ADMIN.password });

    const first = await runGitlabCi(dir, project);
    await appendFile(path.join(dir, 'hello.py'), '\n# a code-only change\n');
    const second = await runGitlabCi(dir, project);

    for (const run of [first, second]) {
      expect(run.result.status, run.log.byJob.get('build')?.slice(-1500)).toBe('passed');
      expect(run.result.jobs.map((job) => [job.name, job.status])).toEqual([
        ['test', 'passed'],
        ['build', 'passed'],
        ['deploy', 'passed'],
      ]);
      // A stage called deploy is an ordinary stage, as in GitLab (gitlab-ci-local's tests expect its line too).
      expect(run.log.byJob.get('deploy')).toMatch(new RegExp(`^Deploying ${run.sha.slice(0, 8)}$`, 'm'));
      expect(run.log.byJob.get('test')).toMatch(/^Ran 1 test in /m);
      expect(run.log.byJob.get('build')).toContain('Login Succeeded');
      expect(run.log.all()).not.toContain(run.jobToken);
      expect((await admin.getManifest(repository, run.sha.slice(0, 8)))?.digest).toMatch(/^sha256:/);
    }
    expect(second.log.byJob.get('build')).toMatch(/RUN pip install -r requirements.txt\n ---> Using cache/);
    expect(second.log.byJob.get('build')).toMatch(/COPY requirements.txt .\n ---> Using cache/);
    expect((await admin.getManifest(repository, 'latest'))?.digest).toBe((await admin.getManifest(repository, second.sha.slice(0, 8)))?.digest);
  });
});

describe('.gitlab-ci.yml stages and variables', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('stops later stages after a failing job (on_failure jobs aside), runs after_script, sets DOCKER_HOST and masks CI_JOB_TOKEN', async () => {
    const dir = await exampleCopy({
      '.slipway.yml': null,
      '.gitlab-ci.yml': `image: busybox
variables:
  DOCKER_HOST: tcp://docker:2375
  IMAGE: $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA
stages: [test, build]
leak:
  stage: test
  script:
    - echo "token=$CI_JOB_TOKEN password=$CI_REGISTRY_PASSWORD"
    - env | grep '^CI_JOB_TOKEN='
    - exit 3
    - echo "never reached"
  after_script:
    - echo "after_script of $CI_JOB_NAME"
facts:
  stage: test
  script:
    - test "$DOCKER_HOST" = unix:///var/run/docker.sock
    - test -S /var/run/docker.sock
    - echo "facts $CI_COMMIT_SHORT_SHA $CI_PROJECT_PATH $IMAGE $CI_PIPELINE_SOURCE $CI_COMMIT_BRANCH $CI_JOB_STAGE $CI_PROJECT_DIR"
build:
  stage: build
  script: [echo built]
notify:
  stage: build
  when: on_failure
  script: [echo "telling someone"]
`,
    });
    folders.push(dir);
    const jobToken = 'slipway-any-value-works-without-registry-auth';
    const run = pipelineRun(dir, { source: '', jobs: [] }, { jobToken });
    const plan = await readPipeline(dir);
    const log = outputs();

    const result = await runPipeline({ ...run, plan }, executor, log.observer);

    expect(result.status).toBe('failed');
    expect(result.jobs.map((job) => [job.name, job.status, job.error])).toEqual([
      ['leak', 'failed', 'the script exited with code 3'],
      ['facts', 'passed', undefined],
      ['build', 'skipped', 'skipped because leak failed'],
      ['notify', 'passed', undefined],
    ]);
    expect(log.all()).not.toContain(jobToken);
    expect(log.byJob.get('leak')).toContain('token=[masked] password=[masked]');
    expect(log.byJob.get('leak')).toContain('CI_JOB_TOKEN=[masked]');
    expect(log.byJob.get('leak')).toContain('after_script of leak');
    expect(log.byJob.get('leak')).not.toContain('never reached');
    expect(log.byJob.get('facts')).toContain(
      `facts ${run.facts.sha.slice(0, 8)} ${run.facts.project} ${lab.registry}/${repositoryPath(run.facts.project)}:${run.facts.sha.slice(0, 8)} push main test /workspace`,
    );
    expect(log.byJob.get('notify')).toContain('telling someone');
    expect(await dindsOf(run.facts.id)).toEqual([]);
  });

});
