import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDaemonCertificates, type DaemonCertificates } from '../../../src/executors/docker/daemon-certificates.js';
import { createDockerClient } from '../../../src/executors/docker/docker-client.js';
import { LABEL_PIPELINE, listDinds } from '../../../src/executors/docker/dind.js';
import { packFiles } from '../../../src/executors/docker/source-archive.js';
import { createPipelineQueue } from '../../../src/store/pipeline-queue.js';
import { forgeArchive } from '../../helpers/archive.js';
import { finished, runCli, spawnCli } from '../../helpers/cli.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/database.js';
import { fakeSha, host, TINY_APP, uniqueName, workerEnv } from '../../helpers/docker-lab.js';
import { lab } from '../../helpers/lab.js';
import { startStandIn, type StandIn } from '../../helpers/stand-in.js';
import { queueGitlabPush } from '../../helpers/test-service.js';
import { waitFor } from '../../helpers/wait-for.js';

/** A client's files as the docker CLI reads them from DOCKER_CERT_PATH. */
async function certFolder(ca: string, cert: string, key: string): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'slipway-docker-certs-'));
  await writeFile(path.join(folder, 'ca.pem'), ca);
  await writeFile(path.join(folder, 'cert.pem'), cert);
  await writeFile(path.join(folder, 'key.pem'), key);
  return folder;
}

/**
 * A Docker host Slipway shares nothing with but a TCP port on loopback: a dockerd (in a
 * container of the lab's Docker, on the host's network) that takes only TLS clients its CA signed.
 */
async function startRemoteDocker(port: number, certificates: DaemonCertificates): Promise<Docker.Container> {
  const container = await host.createContainer({
    name: uniqueName('slipway-test-remote-docker'),
    Image: lab.dindImage,
    Cmd: [
      `--host=tcp://127.0.0.1:${port}`,
      '--tlsverify',
      '--tlscacert=/certs/ca.pem',
      '--tlscert=/certs/server-cert.pem',
      '--tlskey=/certs/server-key.pem',
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      `--registry-mirror=http://${lab.registry}`,
    ],
    Volumes: { '/var/lib/docker': {} },
    HostConfig: {
      NetworkMode: 'host',
      CapAdd: ['ALL'],
      CapDrop: ['SYS_RESOURCE'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw'],
    },
  });
  await container.putArchive(
    packFiles([
      { path: '/certs/ca.pem', content: certificates.ca },
      { path: '/certs/server-cert.pem', content: certificates.serverCert },
      { path: '/certs/server-key.pem', content: certificates.serverKey },
    ]),
    { path: '/' },
  );
  await container.start();
  return container;
}

describe('a worker whose only Docker is a remote host over TLS', () => {
  const port = 33_000 + Math.floor(Math.random() * 2_000);
  let database: MigratedDatabase;
  let stand: StandIn;
  let remote: Docker.Container;
  let remoteClient: Docker;
  let trusted: string;
  let untrusted: string;
  let strangeCa: string;
  const archives = new Map<string, Buffer>();
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    database = await createMigratedDatabase();
    stand = await startStandIn(archives);
    const certificates = await makeDaemonCertificates({ dns: ['localhost'], ips: ['127.0.0.1'] });
    // Another CA's client: the server certificate checks out, but the daemon must refuse this client.
    const stranger = await makeDaemonCertificates({ dns: ['localhost'], ips: ['127.0.0.1'] });
    trusted = await certFolder(certificates.ca, certificates.clientCert, certificates.clientKey);
    untrusted = await certFolder(certificates.ca, stranger.clientCert, stranger.clientKey);
    // Slipway's own pair is right, but its ca.pem is not the one that signed the daemon's certificate.
    strangeCa = await certFolder(stranger.ca, certificates.clientCert, certificates.clientKey);
    remote = await startRemoteDocker(port, certificates);
    remoteClient = createDockerClient(`tcp://127.0.0.1:${port}`, { ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey });
    await waitFor('the remote Docker to answer', () => remoteClient.ping().then(() => true, () => false), 60_000);
  }, 120_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await remote?.remove({ force: true, v: true }).catch(() => undefined);
    stand?.close();
    await database?.drop();
    for (const folder of [trusted, untrusted, strangeCa]) if (folder) await rm(folder, { recursive: true, force: true });
  });

  const remoteEnv = (certPath: string): NodeJS.ProcessEnv =>
    workerEnv(database.url, stand.url, {
      SLIPWAY_CONCURRENCY: '1',
      DOCKER_HOST: `tcp://127.0.0.1:${port}`,
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: certPath,
      // Nothing shared: a socket folder here would be no use to the remote host.
      SLIPWAY_DIND_SOCKET_DIR: '/nonexistent/slipway-dind',
    });

  it('runs a whole pipeline there (test job, build and push), each pipeline on a daemon reached over TLS', async () => {
    const sha = fakeSha();
    archives.set(sha, await forgeArchive(TINY_APP));
    const pipelineId = await queueGitlabPush(createPipelineQueue(database.pool), uniqueName('slipway-test/remote'), sha);
    const child = spawnCli(['worker'], remoteEnv(trusted));
    children.push(child);
    const done = finished(child);

    // While it runs, its daemon is a container of the remote host, not of the lab's own Docker.
    const onRemote = await waitFor('the pipeline’s daemon on the remote host', async () =>
      (await listDinds(remoteClient)).find((dind) => dind.pipelineId === String(pipelineId)),
    );
    const onLocal = (await listDinds(host)).some((dind) => dind.pipelineId === String(pipelineId));
    const row = await waitFor(
      'the pipeline to finish',
      async () => {
        const { rows } = await database.pool.query<{ status: string; image_digest: string | null; error: string | null }>('SELECT status, image_digest, error FROM pipelines WHERE id = $1', [pipelineId]);
        return ['passed', 'failed', 'error'].includes(rows[0]!.status) && rows[0]!;
      },
      240_000,
    );
    const left = await remoteClient.listContainers({ all: true, filters: { label: [`${LABEL_PIPELINE}=${pipelineId}`] } });
    child.kill('SIGTERM');
    const result = await done;

    expect(row).toMatchObject({ status: 'passed', error: null });
    expect(row.image_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(onRemote.owner).toMatch(new RegExp(`^${os.hostname()}/${child.pid}\\.\\d+/`));
    expect(onLocal).toBe(false);
    expect(left).toEqual([]);
    expect(result.stdout).toContain('"dindConnect":"TLS, at 127.0.0.1"');
  }, 300_000);

  it.each([
    ['a client certificate the remote host does not trust', () => untrusted, (port: number) => `slipway: Docker at tcp://127.0.0.1:${port} refused Slipway's client certificate (bad certificate): check that DOCKER_CERT_PATH's cert.pem and key.pem were issued by the CA that daemon trusts\n`],
    ['a CA that did not sign the remote host’s certificate', () => strangeCa, (port: number) => `slipway: Docker at tcp://127.0.0.1:${port} showed a certificate Slipway does not trust (CERT_SIGNATURE_FAILURE): check that DOCKER_CERT_PATH's ca.pem signed it and that it names the host in DOCKER_HOST\n`],
  ])('refuses to start with %s, saying what to check', async (_name, folder, line) => {
    const result = await runCli(['worker'], remoteEnv(folder()));

    expect(result.code).toBe(69);
    expect(result.stderr).toBe(line(port));
  });
});
