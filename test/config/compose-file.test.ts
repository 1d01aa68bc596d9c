import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../../src/config/env-schema.js';
import { REGISTRY_TOKEN_PATH } from '../../src/http/registry-token-route.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface ComposeService {
  build?: string;
  image: string;
  environment?: Record<string, string>;
  env_file?: string;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8')) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const example = Object.fromEntries(
  readFileSync(path.join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
const known = new Set(Object.keys(EnvSchema.shape));

describe('the deployment kit (compose.yaml and .env.example)', () => {
  it('runs Slipway from the Dockerfile beside PostgreSQL and a registry, each keeping its data in a named volume', () => {
    const { slipway, postgres, registry } = compose.services;

    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'registry', 'slipway']);
    expect(slipway!.build).toBe('.');
    expect(existsSync(path.join(ROOT, 'Dockerfile'))).toBe(true);
    expect(postgres!.image).toMatch(/^postgres:\d+$/);
    expect(registry!.image).toMatch(/^registry:2/);
    expect(slipway!.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, registry: { condition: 'service_started' } });
    for (const [service, folder] of [['slipway', '/var/lib/slipway'], ['postgres', '/var/lib/postgresql/data'], ['registry', '/var/lib/registry']] as const) {
      const volume = compose.services[service]!.volumes!.find((entry) => entry.endsWith(`:${folder}`))!.split(':')[0]!;
      expect(Object.keys(compose.volumes)).toContain(volume);
    }
  });

  it('gives Slipway only variables it knows, and every one a team must set', () => {
    const given = [...Object.keys(compose.services.slipway!.environment!), ...Object.keys(example).filter((name) => name !== 'POSTGRES_PASSWORD')];

    expect(given.filter((name) => !known.has(name))).toEqual([]);
    expect(compose.services.slipway!.env_file).toBe('.env');
    for (const name of ['PUBLIC_URL', 'SLIPWAY_REGISTRY', 'SLIPWAY_SECRET_KEY', 'SLIPWAY_ADMIN_TOKEN', 'POSTGRES_PASSWORD']) expect(Object.keys(example)).toContain(name);
    expect(compose.services.slipway!.environment!.DATABASE_URL).toBe('postgres://slipway:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}@postgres:5432/slipway');
    expect(compose.services.slipway!.environment!.HOST).toBe('0.0.0.0');
  });

  it('makes the registry trust the tokens Slipway issues, with the names Slipway signs them with', () => {
    const registry = compose.services.registry!.environment!;
    const slipway = compose.services.slipway!;
    const mounted = (service: ComposeService, file: string) => service.volumes!.some((entry) => entry.split(':')[1] === file);

    expect(registry.REGISTRY_AUTH).toBe('token');
    expect(registry.REGISTRY_AUTH_TOKEN_REALM).toBe(`\${PUBLIC_URL:?set PUBLIC_URL in .env}${REGISTRY_TOKEN_PATH}`);
    expect(registry.REGISTRY_AUTH_TOKEN_SERVICE).toBe(EnvSchema.shape.SLIPWAY_REGISTRY_TOKEN_SERVICE.parse(undefined));
    expect(registry.REGISTRY_AUTH_TOKEN_ISSUER).toBe(EnvSchema.shape.SLIPWAY_REGISTRY_TOKEN_ISSUER.parse(undefined));
    expect(mounted(compose.services.registry!, registry.REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE!)).toBe(true);
    expect(mounted(slipway, slipway.environment!.SLIPWAY_REGISTRY_TOKEN_KEY_FILE!)).toBe(true);
    expect(mounted(slipway, slipway.environment!.SLIPWAY_REGISTRY_TOKEN_CERT_FILE!)).toBe(true);
  });

  it('lets Slipway start dind daemons on the host and reach their sockets at the same path', () => {
    const slipway = compose.services.slipway!;
    const socketDir = slipway.environment!.SLIPWAY_DIND_SOCKET_DIR!;

    expect(slipway.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock');
    expect(slipway.volumes).toContain(`${socketDir}:${socketDir}`);
    expect(slipway.healthcheck!.test.join(' ')).toContain('/healthz');
  });
});
