import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import nock from 'nock';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerClient } from '../../../src/executors/docker/docker-client.js';
import { createDockerExecutor } from '../../../src/executors/docker/docker-executor.js';
import type { ArtifactSettings } from '../../../src/pipeline/artifact-store.js';
import { runPipeline } from '../../../src/pipeline/run/engine.js';
import { repositoryPath } from '../../../src/pipeline/image-names.js';
import { readPipeline } from '../../../src/pipeline/read/read-pipeline.js';
import { artifactRepository } from '../../../src/registry/project-repositories.js';
import { createRegistryArtifactStore } from '../../../src/registry/registry-artifact-store.js';
import { createRegistryClient } from '../../../src/registry/registry-client.js';
import { expireArtifacts } from '../../../src/runner/expire-artifacts.js';
import { createPipelineStore } from '../../../src/store/pipeline-store.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { forgeArchive } from '../../helpers/archive.js';
import { executorOptions, fakeSha, pipelineRun, registry, uniqueName } from '../../helpers/docker-lab.js';
import { fakeGitlab } from '../../helpers/fake-forges.js';
import { gitlabPush } from '../../helpers/forge-payloads.js';
import { asAdmin, GITLAB_URL, postGitlab, startTestService, type TestService } from '../../helpers/test-service.js';
import { waitFor } from '../../helpers/wait-for.js';

/** Three stages: a build that caches, keeps files and a dotenv report; a test that needs them; a job that takes none. */
const THREE_STAGES = `image: busybox
stages: [build, test, report]
build:
  stage: build
  cache:
    key: deps-$CI_COMMIT_REF_SLUG
    paths: [.cache/]
  script:
    - mkdir -p .cache dist
    - if [ -f .cache/seed ]; then echo "cache hit from pipeline $(cat .cache/seed)"; else echo "cache miss"; fi
    - echo "$CI_PIPELINE_ID" > .cache/seed
    - echo "built in $CI_JOB_NAME" > dist/app.txt
    - echo "noise" > dist/debug.log
    - echo "VERSION=1.2.$CI_PIPELINE_ID" > build.env
  artifacts:
    name: app-$CI_COMMIT_SHORT_SHA
    paths: [dist/]
    exclude: ["dist/*.log"]
    reports:
      dotenv: build.env
    expire_in: 1 week
test:
  stage: test
  needs: [build]
  script:
    - cat dist/app.txt
    - test ! -e dist/debug.log
    - echo "testing version $VERSION"
    - echo "made by test" > report.txt
  artifacts:
    untracked: true
    when: always
unrelated:
  stage: report
  needs: [{ job: build, artifacts: false }]
  script:
    - test ! -e dist/app.txt
    - echo "version here is [\${VERSION:-none}]"
`;

async function filesOf(archive: Buffer): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const extract = tarStream.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      void buffer(stream).then((content) => {
        files.set(header.name, content.toString('utf8'));
        next();
      }, reject);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(gunzipSync(archive));
  await done;
  return files;
}

describe('artifacts, dotenv reports and caches through a real service', () => {
  let lab: TestService;
  const archives = new Map<string, Buffer>();
  let gitlab: ReturnType<typeof fakeGitlab>;
  beforeAll(async () => {
    gitlab = fakeGitlab(GITLAB_URL, archives);
    lab = await startTestService();
  });
  afterAll(async () => {
    await lab?.stop();
  });

  const push = async (project: string) => {
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(undefined, { '.gitlab-ci.yml': THREE_STAGES, 'README.md': 'tracked\n' }));
    const accepted = (await (await postGitlab(lab.base, 'Push Hook', gitlabPush({ project, sha, ref: 'main' }))).json()) as { pipelineId: number };
    await waitFor('the pipeline to finish', async () => {
      const { rows } = await lab.db.query<{ status: string }>('SELECT status FROM pipelines WHERE id = $1', [accepted.pipelineId]);
      return ['passed', 'failed', 'canceled', 'error'].includes(rows[0]?.status ?? '');
    });
    const page = (await (await fetch(`${lab.base}/pipelines/${accepted.pipelineId}`, { headers: { ...asAdmin, accept: 'application/json' } })).json()) as {
      status: string;
      jobs: Array<{ id: number; name: string; status: string; log: string; artifacts: { name: string; files: number; expiresAt: string | null } | null }>;
    };
    return { sha, pipelineId: accepted.pipelineId, page, job: (name: string) => page.jobs.find((job) => job.name === name)! };
  };

  it('hands files and variables to the jobs that need them, restores the cache in the next pipeline, and offers the artifacts for download', async () => {
    const project = uniqueName('slipway-test/artifacts');
    const first = await push(project);

    expect(first.page.status).toBe('passed');
    expect(first.job('build').log).toContain('cache miss');
    expect(first.job('build').log).toMatch(/No cache for key deps-main yet/);
    expect(first.job('test').log).toContain('built in build');
    expect(first.job('test').log).toContain(`testing version 1.2.${first.pipelineId}`);
    expect(first.job('unrelated').log).toContain('version here is [none]');
    expect(first.job('build').artifacts).toMatchObject({ name: `app-${first.sha.slice(0, 8)}`, files: 1 });
    const expiresIn = new Date(first.job('build').artifacts!.expiresAt!).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(6.9 * 86_400_000);
    expect(expiresIn).toBeLessThanOrEqual(7 * 86_400_000);
    expect(first.job('unrelated').artifacts).toBeNull();

    const html = await (await fetch(`${lab.base}/pipelines/${first.pipelineId}`, { headers: asAdmin })).text();
    const build = first.job('build');
    expect(html).toContain(`<a href="/pipelines/${first.pipelineId}/jobs/${build.id}/artifacts" download>Artifacts: app-${first.sha.slice(0, 8)}.tar.gz</a>`);
    const download = await fetch(`${lab.base}/pipelines/${first.pipelineId}/jobs/${build.id}/artifacts`, { headers: asAdmin });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="app-${first.sha.slice(0, 8)}.tar.gz"`);
    const kept = await filesOf(Buffer.from(await download.arrayBuffer()));
    // The dotenv report gave its variables; it is not a file of the artifacts, as in GitLab.
    expect([...kept.keys()]).toEqual(['dist/app.txt']);
    expect(kept.get('dist/app.txt')).toBe('built in build\n');
    // `untracked`: what the test job made, and what it received, but not the commit's own files.
    const test = await filesOf(Buffer.from(await (await fetch(`${lab.base}/pipelines/${first.pipelineId}/jobs/${first.job('test').id}/artifacts`, { headers: asAdmin })).arrayBuffer()));
    expect([...test.keys()].sort()).toEqual(['dist/app.txt', 'report.txt']);

    const second = await push(project);
    expect(second.page.status).toBe('passed');
    expect(second.job('build').log).toContain('Restoring cache for key deps-main');
    expect(second.job('build').log).toContain(`cache hit from pipeline ${first.pipelineId}`);
    expect(second.job('test').log).toContain(`testing version 1.2.${second.pipelineId}`);
  });

  it('deletes expired artifacts from the registry and says so instead of serving them', async () => {
    const project = uniqueName('slipway-test/expiry');
    const run = await push(project);
    const build = run.job('build');
    const { rows } = await lab.db.query<{ digest: string }>('UPDATE job_artifacts SET expires_at = now() - interval \'1 minute\' WHERE job_id = $1 RETURNING digest', [build.id]);
    const repository = artifactRepository(repositoryPath(project));

    const gone = await fetch(`${lab.base}/pipelines/${run.pipelineId}/jobs/${build.id}/artifacts`, { headers: asAdmin });
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: string }).error).toMatch(/^the artifacts of build in pipeline #\d+ expired on /);
    expect(await registry.getManifest(repository, rows[0]!.digest)).not.toBeNull();

    const store = createPipelineStore(lab.db);
    expect(await expireArtifacts(store, createRegistryArtifactStore(registry), createLogger('silent'))).toBeGreaterThanOrEqual(1);
    expect(await registry.getManifest(repository, rows[0]!.digest)).toBeNull();
    expect((await lab.db.query('SELECT 1 FROM job_artifacts WHERE job_id = $1', [build.id])).rowCount).toBe(0);
    const missing = await fetch(`${lab.base}/pipelines/${run.pipelineId}/jobs/${build.id}/artifacts`, { headers: asAdmin });
    expect(missing.status).toBe(404);
  });
});

describe('limits on what a job keeps', () => {
  const executor = createDockerExecutor(createDockerClient(), executorOptions);
  const folders: string[] = [];
  // nock (set up for every file, for the forges) wraps Node's sockets, the Docker socket's too, and
  // its wrapper resets a response that is read slowly: these archives are large enough to be.
  beforeAll(() => nock.restore());
  afterAll(async () => {
    nock.activate();
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });
  const settings = (overrides: Partial<ArtifactSettings> = {}): ArtifactSettings => ({
    store: createRegistryArtifactStore(registry),
    maxBytes: 100 * 1024 * 1024,
    cacheMaxBytes: 1024 * 1024 * 1024,
    defaultExpireInSeconds: 3600,
    cacheScope: 'unprotected',
    ...overrides,
  });

  async function run(gitlabCi: string, artifacts: ArtifactSettings) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-artifact-limits-'));
    folders.push(dir);
    await writeFile(path.join(dir, '.gitlab-ci.yml'), gitlabCi);
    let log = '';
    const result = await runPipeline({ ...pipelineRun(dir, await readPipeline(dir)), artifacts }, executor, { jobOutput: (_job, text) => (log += text) });
    return { result, log };
  }

  it('fails a job whose artifacts pass the limit, naming it, and only notes a cache that does', async () => {
    const { result, log } = await run(
      `image: busybox
big:
  script: [mkdir -p out, head -c 300000 /dev/urandom > out/blob]
  artifacts: { paths: [out/] }
  cache: { key: big, paths: [out/] }
`,
      settings({ maxBytes: 100_000, cacheMaxBytes: 100_000 }),
    );
    expect(result.jobs[0]).toMatchObject({
      status: 'failed',
      error: 'artifacts are larger than 100000 bytes (SLIPWAY_ARTIFACTS_MAX_BYTES) once compressed: keep fewer files in artifacts:paths, or list some under artifacts:exclude',
    });
    expect(log).toContain('Cache for key big not saved (the job keeps its result): larger than 100000 bytes (SLIPWAY_CACHE_MAX_BYTES)');
  });

  it('fails a job whose artifacts cannot reach the registry, saying why, and goes on without a cache it cannot read', async () => {
    const { result, log } = await run(
      `image: busybox
out:
  script: [mkdir -p out, echo hi > out/a]
  artifacts: { paths: [out/] }
  cache: { key: k, paths: [out/] }
`,
      settings({ store: createRegistryArtifactStore(createRegistryClient({ host: '127.0.0.1:2' })) }),
    );
    expect(log).toMatch(/Could not restore cache for key k \(the job goes on without it\): fetch failed: connect ECONNREFUSED 127\.0\.0\.1:2/);
    expect(result.jobs[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^could not keep the artifacts in the registry \(SLIPWAY_REGISTRY\): fetch failed: connect ECONNREFUSED 127\.0\.0\.1:2$/) });
  });

  it('fails a job whose dotenv report GitLab would refuse, naming the file and line', async () => {
    const { result } = await run(
      `image: busybox
env:
  script: ['printf "GOOD=1\\nnot a variable\\n" > build.env']
  artifacts: { reports: { dotenv: build.env } }
`,
      settings(),
    );
    expect(result.jobs[0]).toMatchObject({ status: 'failed', error: 'artifacts:reports:dotenv build.env line 2 is not NAME=value: write one NAME=value per line' });
  });
});
