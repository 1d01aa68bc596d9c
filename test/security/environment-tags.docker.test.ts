import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promoteImage } from '../../src/deploy/promote-image.js';
import { createDockerExecutor } from '../../src/executors/docker/docker-executor.js';
import { runPipeline } from '../../src/pipeline/run/engine.js';
import { repositoryPath } from '../../src/pipeline/image-names.js';
import { readPipeline } from '../../src/pipeline/read/read-pipeline.js';
import { environmentRepository } from '../../src/registry/project-repositories.js';
import { createRegistryClient } from '../../src/registry/registry-client.js';
import { createJobTokenStore } from '../../src/store/job-token-store.js';
import { createPipelineStore } from '../../src/store/pipeline-store.js';
import { executorOptions, fakeSha, host, pipelineRun, registry, tinyAppCopy, uniqueName } from '../helpers/docker-lab.js';
import { pushTestImage } from '../helpers/test-images.js';
import { REGISTRY_ADMIN, startTokenLab, type TokenLab } from '../helpers/token-registry.js';

const executor = createDockerExecutor(host, executorOptions);
const BUILD_ONLY = 'build:\n  context: .\n';

describe('environment tags are written only by promotion', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('leaves prod where promotion put it when a branch called prod builds and pushes, and keeps :latest for the default branch', async () => {
    const project = uniqueName('slipway-test/envtags');
    const repository = repositoryPath(project);
    const promotedSha = fakeSha();
    const promoted = await pushTestImage(repository, promotedSha, 'LABEL promoted=yes');
    await promoteImage(registry, repository, promotedSha, promoted, 'prod');
    const dir = await tinyAppCopy({ '.slipway.yml': BUILD_ONLY });
    folders.push(dir);
    const plan = await readPipeline(dir);
    const output: string[] = [];

    const onProd = await runPipeline(pipelineRun(dir, plan, { project, ref: 'prod', defaultBranch: 'main' }), executor);
    const onLatest = await runPipeline(pipelineRun(dir, plan, { project, ref: 'latest', defaultBranch: 'main' }), executor, { jobOutput: (_job, text) => output.push(text) });

    expect(onProd.status).toBe('passed');
    expect(onLatest.status).toBe('passed');
    expect((await registry.getManifest(environmentRepository(repository), 'prod'))?.digest).toBe(promoted);
    expect((await registry.getManifest(repository, 'prod'))?.digest).toBe(onProd.image?.digest);
    expect(await registry.getManifest(repository, 'latest')).toBeNull();
    expect(output.join('')).toContain('Not tagging :latest: latest belongs to the default branch');
  });
});

describe('a job holding CI_JOB_TOKEN, against a registry that trusts Slipway', () => {
  let tokenLab: TokenLab;
  const folders: string[] = [];

  beforeAll(async () => {
    tokenLab = await startTokenLab();
  });
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
    await tokenLab?.stop();
  });

  it('cannot push the environment tag, while promotion (Slipway’s own account) can', async () => {
    const project = uniqueName('team/guarded');
    const { registry: tokenRegistry, pool } = tokenLab;
    const admin = createRegistryClient({ host: tokenRegistry.host, username: REGISTRY_ADMIN.user, password: REGISTRY_ADMIN.password });
    const sha = fakeSha();
    const store = createPipelineStore(pool);
    const { id } = await store.create({ forge: 'local', project, sha, ref: 'main', defaultBranch: 'main' }, [], 'test-runner');
    const jobToken = await createJobTokenStore(pool).issue({ pipelineId: id, repository: repositoryPath(project), actions: ['pull', 'push'], leaseOwner: 'test-runner' });
    const dir = await tinyAppCopy({
      '.slipway.yml': null,
      '.gitlab-ci.yml': `image: docker
build:
  script:
    - docker login -u gitlab-ci-token -p $CI_JOB_TOKEN $CI_REGISTRY
    - docker build -t $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA .
    - docker push $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA
    - docker tag $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA $CI_REGISTRY_IMAGE/environments:prod
    - if docker push $CI_REGISTRY_IMAGE/environments:prod; then echo "PUSHED THE ENVIRONMENT"; exit 1; fi
    - docker tag $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA $CI_REGISTRY_IMAGE:prod
    - docker push $CI_REGISTRY_IMAGE:prod
`,
    });
    folders.push(dir);
    const output: string[] = [];

    const result = await runPipeline(pipelineRun(dir, await readPipeline(dir), { id: String(id), project, sha, registry: tokenRegistry.host, jobToken }), executor, {
      jobOutput: (_job, text) => output.push(text),
    });
    const built = (await admin.getManifest(repositoryPath(project), sha))!;
    const environmentAfterTheJob = await admin.getManifest(environmentRepository(repositoryPath(project)), 'prod');
    await promoteImage(admin, repositoryPath(project), sha, built.digest, 'prod');

    expect(result.status).toBe('passed');
    expect(output.join('')).toMatch(/denied|unauthorized/i);
    expect(output.join('')).not.toMatch(/^PUSHED THE ENVIRONMENT$/m);
    expect(environmentAfterTheJob).toBeNull();
    expect((await admin.getManifest(environmentRepository(repositoryPath(project)), 'prod'))?.digest).toBe(built.digest);
  });
});
