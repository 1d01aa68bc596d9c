import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { followProgress } from '../../src/executors/docker/follow-progress.js';
import { JOB_TOKEN_USER } from '../../src/pipeline/predefined-variables.js';
import { createRegistryClient, RegistryError } from '../../src/registry/registry-client.js';
import { createJobTokenStore } from '../../src/store/job-token-store.js';
import { createPipelineStore } from '../../src/store/pipeline-store.js';
import { createPool, type Pool } from '../../src/store/pool.js';
import { host, uniqueName } from '../helpers/docker-lab.js';
import { lab } from '../helpers/lab.js';
import {
  REGISTRY_ADMIN,
  signingFiles,
  startTokenRegistry,
  tokenIssuerEnv,
  TOKEN_ISSUER,
  TOKEN_SERVICE,
  type SigningFiles,
  type TokenRegistry,
} from '../helpers/token-registry.js';
import { startTestService, type TestService } from '../helpers/test-service.js';

const SOURCE_IMAGE = `${lab.registry}/library/python:3.8-slim`;

/** `docker push` through the host daemon, logged in as `username`; resolves, or rejects with the daemon's reason. */
async function push(reference: string, username: string, password: string, registryHost: string): Promise<void> {
  const colon = reference.lastIndexOf(':');
  await host.getImage(SOURCE_IMAGE).tag({ repo: reference.slice(0, colon), tag: reference.slice(colon + 1) });
  const stream = await host.getImage(reference.slice(0, colon)).push({ tag: reference.slice(colon + 1), authconfig: { username, password, serveraddress: registryHost } });
  await followProgress(host, stream as NodeJS.ReadableStream);
}

describe('Slipway as the registry’s token issuer (CI_JOB_TOKEN)', () => {
  let signing: SigningFiles;
  let service: TestService;
  let registry: TokenRegistry;
  let pool: Pool;
  let pipelineId: number;
  let jobToken: string;
  const project = uniqueName('team/app');
  const realm = () => `${service.base}/registry/token`;

  beforeAll(async () => {
    signing = await signingFiles();
    service = await startTestService(tokenIssuerEnv(signing), { workers: false });
    registry = await startTokenRegistry(realm(), signing);
    pool = createPool(service.database.url, 2);
    const recorded = await createPipelineStore(pool).create({ forge: 'local', project, sha: 'a'.repeat(40), ref: 'main', defaultBranch: 'main' }, [], 'test-runner');
    pipelineId = recorded.id;
    jobToken = await createJobTokenStore(pool).issue({ pipelineId, repository: project, actions: ['pull', 'push'], leaseOwner: 'test-runner' });
  });
  afterAll(async () => {
    await registry?.stop();
    await pool?.end();
    await service?.stop();
    if (signing) await rm(signing.dir, { recursive: true, force: true });
  });

  const asJob = () => createRegistryClient({ host: registry.host, username: JOB_TOKEN_USER, password: jobToken });
  const tokenFor = (scope: string, credentials = `${JOB_TOKEN_USER}:${jobToken}`) =>
    fetch(`${realm()}?service=${TOKEN_SERVICE}&scope=${encodeURIComponent(scope)}`, {
      headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
    });
  const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { access: unknown; aud: string; iss: string; exp: number; iat: number };

  it('lets the pipeline push and pull its own project’s images, sub-paths included', async () => {
    await push(`${registry.host}/${project}:1`, JOB_TOKEN_USER, jobToken, registry.host);
    await push(`${registry.host}/${project}/tools:1`, JOB_TOKEN_USER, jobToken, registry.host);

    expect((await asJob().getManifest(project, '1'))?.digest).toMatch(/^sha256:/);
    expect((await asJob().getManifest(`${project}/tools`, '1'))?.digest).toMatch(/^sha256:/);
  });

  it('grants nothing outside the project: the registry answers "denied"', async () => {
    const response = await tokenFor('repository:team/other:pull,push');
    const body = (await response.json()) as { token: string };

    expect(response.status).toBe(200);
    expect(claims(body.token)).toMatchObject({ access: [{ type: 'repository', name: 'team/other', actions: [] }], aud: TOKEN_SERVICE, iss: TOKEN_ISSUER });
    expect(claims(body.token).exp - claims(body.token).iat).toBe(300);
    await expect(push(`${registry.host}/team/other:stolen`, JOB_TOKEN_USER, jobToken, registry.host)).rejects.toThrow(/denied|unauthorized/i);
    await expect(asJob().getManifest(`${project}-other`, '1')).rejects.toThrow(RegistryError);
  });

  it('keeps a job out of what Slipway keeps under the project: environments, artifacts and caches', async () => {
    for (const reserved of ['environments', 'slipway-artifacts', 'slipway-cache']) {
      const body = (await (await tokenFor(`repository:${project}/${reserved}:pull,push`)).json()) as { token: string };
      expect(claims(body.token).access, reserved).toEqual([{ type: 'repository', name: `${project}/${reserved}`, actions: [] }]);
    }
    await expect(asJob().pushBlob(`${project}/slipway-cache`, Buffer.from('poisoned'))).rejects.toThrow(RegistryError);
  });

  it('gives Slipway’s own account every scope it asks for, so promotion works on this registry', async () => {
    const admin = createRegistryClient({ host: registry.host, username: REGISTRY_ADMIN.user, password: REGISTRY_ADMIN.password });
    const manifest = (await admin.getManifest(project, '1'))!;

    await admin.putManifest(project, 'production', manifest);

    expect((await admin.getManifest(project, 'production'))?.digest).toBe(manifest.digest);
    expect(await admin.getManifest('team/never-pushed', '1')).toBeNull();
  });

  it('refuses requests it cannot honour, saying why', async () => {
    const anonymous = await fetch(`${realm()}?service=${TOKEN_SERVICE}&scope=repository:${project}:pull`);
    const unknown = await tokenFor(`repository:${project}:pull`, `${JOB_TOKEN_USER}:slipway-not-a-token`);
    const wrongService = await fetch(`${realm()}?service=another`, { headers: { authorization: `Basic ${Buffer.from(`x:${jobToken}`).toString('base64')}` } });
    const badScope = await tokenFor('pull-everything');

    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="Slipway registry"');
    expect(((await anonymous.json()) as { error: string }).error).toBe('log in first: docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"');
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { errors: unknown }).errors).toEqual([
      { code: 'UNAUTHORIZED', message: 'the job token is not valid: it is unknown, or its pipeline is no longer running' },
    ]);
    expect(wrongService.status).toBe(400);
    expect(((await wrongService.json()) as { error: string }).error).toBe(`unknown service "another": this Slipway issues tokens for "${TOKEN_SERVICE}" (SLIPWAY_REGISTRY_TOKEN_SERVICE)`);
    expect(badScope.status).toBe(400);
    expect(((await badScope.json()) as { error: string }).error).toBe('"pull-everything" is not a scope: expected type:name:actions, such as repository:group/project:pull');
  });

  it('stops honouring the token the moment its pipeline is no longer running', async () => {
    expect((await tokenFor(`repository:${project}:pull`)).status).toBe(200);

    await pool.query(`UPDATE pipelines SET status = 'passed', finished_at = now() WHERE id = $1`, [pipelineId]);

    expect((await tokenFor(`repository:${project}:pull`)).status).toBe(401);
    await expect(push(`${registry.host}/${project}:after`, JOB_TOKEN_USER, jobToken, registry.host)).rejects.toThrow(/unauthorized|denied|no basic auth/i);
  });
});

describe('registry token settings', () => {
  let signing: SigningFiles;
  let other: SigningFiles;
  beforeAll(async () => {
    [signing, other] = [await signingFiles(), await signingFiles()];
  });
  afterAll(async () => {
    for (const files of [signing, other]) if (files) await rm(files.dir, { recursive: true, force: true });
  });

  it('refuses a key and certificate that do not belong together, or that cannot be read', () => {
    const mismatched = () => loadConfig({ SLIPWAY_REGISTRY_TOKEN_KEY_FILE: signing.keyFile, SLIPWAY_REGISTRY_TOKEN_CERT_FILE: other.certFile });
    expect(mismatched).toThrow(ConfigError);
    expect(mismatched).toThrow('SLIPWAY_REGISTRY_TOKEN_CERT_FILE is not the certificate of SLIPWAY_REGISTRY_TOKEN_KEY_FILE: the registry would refuse every token');
    expect(() => loadConfig({ SLIPWAY_REGISTRY_TOKEN_KEY_FILE: path.join(signing.dir, 'missing.key'), SLIPWAY_REGISTRY_TOKEN_CERT_FILE: signing.certFile })).toThrow(
      `SLIPWAY_REGISTRY_TOKEN_KEY_FILE cannot be read (ENOENT): ${path.join(signing.dir, 'missing.key')}`,
    );
    expect(() => loadConfig({ SLIPWAY_REGISTRY_TOKEN_KEY_FILE: signing.certFile, SLIPWAY_REGISTRY_TOKEN_CERT_FILE: signing.certFile })).toThrow(
      'SLIPWAY_REGISTRY_TOKEN_KEY_FILE must hold a PEM private key (RSA or EC P-256)',
    );
    expect(() => loadConfig({ SLIPWAY_REGISTRY_TOKEN_KEY_FILE: signing.keyFile })).toThrow('SLIPWAY_REGISTRY_TOKEN_CERT_FILE is required when SLIPWAY_REGISTRY_TOKEN_KEY_FILE is set');
  });

  it('answers 404 at /registry/token when Slipway is not the token issuer', async () => {
    const service = await startTestService({}, { workers: false });
    try {
      const response = await fetch(`${service.base}/registry/token`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: string }).error).toBe(
        'Slipway is not this registry’s token issuer: set SLIPWAY_REGISTRY_TOKEN_KEY_FILE and SLIPWAY_REGISTRY_TOKEN_CERT_FILE',
      );
    } finally {
      await service.stop();
    }
  });
});
