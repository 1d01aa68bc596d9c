import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryPath } from '../../src/pipeline/image-names.js';
import { findOwnPush, trustedCacheImages } from '../../src/registry/find-pushed-image.js';
import { createRegistryClient } from '../../src/registry/registry-client.js';
import { createJobTokenStore } from '../../src/store/job-token-store.js';
import { createPipelineQueue } from '../../src/store/pipeline-queue.js';
import { createPool, type Pool } from '../../src/store/pool.js';
import { createRegistryPushStore } from '../../src/store/registry-push-store.js';
import { fakeSha, uniqueName } from '../helpers/docker-lab.js';
import { freePort, REGISTRY_ADMIN, signingFiles, startTokenRegistry, tokenIssuerEnv, type SigningFiles, type TokenRegistry } from '../helpers/token-registry.js';
import { queueGitlabPush, startTestService, type TestService } from '../helpers/test-service.js';
import { waitFor } from '../helpers/wait-for.js';

const EVENTS_TOKEN = randomBytes(24).toString('hex');

describe('what pipelines push, as the registry reports it', () => {
  let signing: SigningFiles;
  let service: TestService;
  let registry: TokenRegistry;
  let pool: Pool;
  let dockerConfig: string;
  const project = uniqueName('acme/shop');
  const repository = repositoryPath(project);
  const images: string[] = [];

  /** The docker CLI with a login of its own, as a job or an operator would use it; never blocking the service in this process. */
  const docker = (args: string[], input?: string) =>
    new Promise<void>((resolve, reject) => {
      const child = execFile('docker', args, { env: { ...process.env, DOCKER_CONFIG: dockerConfig } }, (error, _stdout, stderr) => (error ? reject(new Error(`docker ${args[0]}: ${stderr}`)) : resolve()));
      child.stdin?.end(input ?? '');
    });
  const login = (user: string, password: string) => docker(['login', registry.host, '-u', user, '--password-stdin'], password);
  /** A one-file image of its own, so each has its own digest. */
  async function tinyImage(content: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-tiny-'));
    await writeFile(path.join(dir, 'marker'), content);
    const name = `slipway-tiny-${randomBytes(4).toString('hex')}`;
    execFileSync('sh', ['-c', `tar -C "${dir}" -c marker | docker import - ${name}`], { stdio: 'ignore' });
    await rm(dir, { recursive: true, force: true });
    images.push(name);
    return name;
  }
  const push = async (image: string, tag: string) => {
    await docker(['tag', image, `${registry.host}/${repository}:${tag}`]);
    await docker(['push', `${registry.host}/${repository}:${tag}`]);
  };
  const admin = () => createRegistryClient({ host: registry.host, username: REGISTRY_ADMIN.user, password: REGISTRY_ADMIN.password });
  const digestOf = async (tag: string) => (await admin().getManifest(repository, tag))?.digest ?? null;

  beforeAll(async () => {
    signing = await signingFiles();
    dockerConfig = await mkdtemp(path.join(os.tmpdir(), 'slipway-docker-config-'));
    const port = await freePort();
    service = await startTestService({ ...tokenIssuerEnv(signing), SLIPWAY_REGISTRY: `127.0.0.1:${port}`, SLIPWAY_REGISTRY_EVENTS_TOKEN: EVENTS_TOKEN }, { workers: false });
    registry = await startTokenRegistry(`${service.base}/registry/token`, signing, { url: `${service.base}/registry/events`, token: EVENTS_TOKEN }, port);
    pool = createPool(service.database.url, 2);
  });
  afterAll(async () => {
    // Every tag of the test's images goes with them (rmi -f of an image's id removes all its names).
    for (const image of images) execFileSync('sh', ['-c', `docker rmi -f $(docker image inspect --format '{{.Id}}' ${image}) || true`], { stdio: 'ignore' });
    await registry?.stop();
    await pool?.end();
    await service?.stop();
    await rm(dockerConfig, { recursive: true, force: true });
    await rm(signing.dir, { recursive: true, force: true });
  });

  it('puts back the tags a branch’s job token overwrites, and records as tested only what the pipeline pushed itself', async () => {
    const queue = createPipelineQueue(pool);
    const tokens = createJobTokenStore(pool);
    const [mainSha, branchSha] = [fakeSha(), fakeSha()];
    const branchId = await queueGitlabPush(queue, project, branchSha, 'feature/x');
    const mainId = await queueGitlabPush(queue, project, mainSha, 'main');
    for (let claimed = 0; claimed < 2; claimed += 1) expect(await queue.claim('test-worker', 120_000)).not.toBeNull();
    const tokenOf = (pipelineId: number) => tokens.issue({ pipelineId, repository, actions: ['pull', 'push'], leaseOwner: 'test-worker' });
    const [trusted, planted, built] = [await tinyImage('trusted'), await tinyImage('planted'), await tinyImage('built by main')];

    // What protected builds left: Slipway's own account pushes :main.
    await login(REGISTRY_ADMIN.user, REGISTRY_ADMIN.password);
    await push(trusted, 'main');
    const trustedDigest = await waitFor('the trusted :main', () => digestOf('main'));
    // The branch's job token writes main's tag, main's commit's tag and latest, and its own branch tag.
    await login('gitlab-ci-token', await tokenOf(branchId));
    for (const tag of ['main', mainSha, 'latest', 'feature-x']) await push(planted, tag);
    await waitFor('main’s tag to be put back', async () => (await digestOf('main')) === trustedDigest, 15_000);
    await waitFor('the planted commit and latest tags to go', async () => (await digestOf(mainSha)) === null && (await digestOf('latest')) === null, 15_000);
    // Main's own pipeline then builds its commit.
    await login('gitlab-ci-token', await tokenOf(mainId));
    await push(built, mainSha);
    const builtDigest = await waitFor('main’s push', () => digestOf(mainSha));
    const pushes = createRegistryPushStore(pool);
    const tested = await findOwnPush((...args) => pushes.ownPush(...args), registry.host, mainId, repository, [mainSha, mainSha.slice(0, 8)]);
    const branchTested = await findOwnPush((...args) => pushes.ownPush(...args), registry.host, branchId, repository, [branchSha], 500);
    const audits = (await pool.query<{ detail: { tag: string; reason: string; outcome: string } }>(`SELECT detail FROM audit_events WHERE action = 'registry.tag-restored' AND project = $1`, [project])).rows.map((row) => row.detail);

    expect(tested).toEqual({ ref: `${registry.host}/${repository}:${mainSha}`, digest: builtDigest });
    expect(builtDigest).not.toBe(trustedDigest);
    expect(branchTested).toBeNull();
    expect(audits.map((detail) => detail.tag).sort()).toEqual(['latest', 'main', mainSha].sort());
    expect(audits.find((detail) => detail.tag === 'main')).toMatchObject({ reason: "it is the default branch's tag (main)", outcome: `put back to ${trustedDigest}` });
    expect(audits.find((detail) => detail.tag === mainSha)?.reason).toBe(`it names commit ${mainSha}, not the pipeline's own ${branchSha.slice(0, 12)}`);
  });

  it('keeps a protected build from a cache tag an unprotected pipeline wrote last, even before it is put back', async () => {
    const pushes = createRegistryPushStore(pool);
    const repo = repositoryPath(uniqueName('acme/cache'));
    const record = (tag: string, trusted: boolean) =>
      pushes.record({ eventId: randomBytes(8).toString('hex'), repository: repo, tag, digest: `sha256:${randomBytes(32).toString('hex')}`, actor: trusted ? 'slipway' : 'pipeline-0', pipelineId: null, trusted });
    await record('main', true);
    await record('latest', true);
    await record('latest', false);

    let questions = 0;
    const counted = { lastWrittenUntrusted: (repository: string, tags: string[]) => ((questions += 1), pushes.lastWrittenUntrusted(repository, tags)) };
    const kept = await trustedCacheImages(counted, [`${registry.host}/${repo}:main`, `${registry.host}/${repo}:latest`, `${registry.host}/${repo}:never-written`]);

    expect(kept).toEqual([`${registry.host}/${repo}:main`, `${registry.host}/${repo}:never-written`]);
    // One question for the build's candidates of one repository, not one per tag.
    expect(questions).toBe(1);
  });

  it('refuses notifications without the token, and a body that is not one', async () => {
    const post = (headers: Record<string, string>, body: string) => fetch(`${service.base}/registry/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    const anonymous = await post({}, '{"events":[]}');
    const wrong = await post({ authorization: 'Bearer not-the-token' }, '{"events":[]}');
    const garbage = await post({ authorization: `Bearer ${EVENTS_TOKEN}` }, '{"events":"no"}');

    expect(anonymous.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect([garbage.status, ((await garbage.json()) as { error: string }).error]).toEqual([400, 'not a registry notification: events Invalid input: expected array, received string']);
  });
});
