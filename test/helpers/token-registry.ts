import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool, type Pool } from '../../src/store/pool.js';
import { startTestService, type TestService } from './test-service.js';

export const TOKEN_SERVICE = 'slipway-test-registry';
export const TOKEN_ISSUER = 'slipway-test';

/** Slipway's own registry account in the token tests: granted every scope it asks for. */
export const REGISTRY_ADMIN = { user: 'slipway', password: 'registry-admin-password' };

export interface SigningFiles {
  dir: string;
  keyFile: string;
  certFile: string;
}

/** A key and its self-signed certificate, made as an operator would: with openssl. */
export async function signingFiles(): Promise<SigningFiles> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-token-'));
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=slipway-token-issuer', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { dir, keyFile, certFile };
}

/** What makes a test service the token issuer for a registry started with `startTokenRegistry`. */
export function tokenIssuerEnv(signing: SigningFiles): Record<string, string> {
  return {
    SLIPWAY_REGISTRY_TOKEN_KEY_FILE: signing.keyFile,
    SLIPWAY_REGISTRY_TOKEN_CERT_FILE: signing.certFile,
    SLIPWAY_REGISTRY_TOKEN_SERVICE: TOKEN_SERVICE,
    SLIPWAY_REGISTRY_TOKEN_ISSUER: TOKEN_ISSUER,
    SLIPWAY_REGISTRY_USER: REGISTRY_ADMIN.user,
    SLIPWAY_REGISTRY_PASSWORD: REGISTRY_ADMIN.password,
  };
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface TokenRegistry {
  host: string;
  stop(): Promise<void>;
}

/**
 * A real `docker-registry` on loopback that trusts only tokens from `realm`, signed by the
 * key whose certificate is `certFile`: the set-up the README describes for production.
 */
export async function startTokenRegistry(realm: string, signing: SigningFiles, notify?: { url: string; token: string }, port?: number): Promise<TokenRegistry> {
  port ??= await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-registry-'));
  const config = path.join(dir, 'config.yml');
  await writeFile(
    config,
    `version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: ${dir}/data }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:${port}
auth:
  token:
    realm: ${realm}
    service: ${TOKEN_SERVICE}
    issuer: ${TOKEN_ISSUER}
    rootcertbundle: ${signing.certFile}
${
  notify
    ? `notifications:
  endpoints:
    - name: slipway
      url: ${notify.url}
      headers:
        Authorization: [Bearer ${notify.token}]
      timeout: 2s
      threshold: 3
      backoff: 200ms
`
    : ''
}`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const host = `127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    const status = await fetch(`http://${host}/v2/`).then((response) => response.status, () => 0);
    if (status === 401) break;
    if (attempt > 100 || child.exitCode !== null) throw new Error(`docker-registry did not start on ${host}: ${stderr}`);
    await sleep(100);
  }
  return {
    host,
    async stop() {
      child.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TokenLab {
  service: TestService;
  registry: TokenRegistry;
  pool: Pool;
  stop(): Promise<void>;
}

/** Slipway (HTTP only) as the token issuer of a real docker-registry, and a pool on its database. */
export async function startTokenLab(): Promise<TokenLab> {
  const signing = await signingFiles();
  const service = await startTestService(tokenIssuerEnv(signing), { workers: false });
  const registry = await startTokenRegistry(`${service.base}/registry/token`, signing);
  const pool = createPool(service.database.url, 2);
  return {
    service,
    registry,
    pool,
    async stop() {
      await registry.stop();
      await pool.end();
      await service.stop();
      await rm(signing.dir, { recursive: true, force: true });
    },
  };
}
