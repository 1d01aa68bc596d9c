import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { refusalOf } from '../helpers/refusal.js';

const problemsFor = (env: Record<string, string>): string[] => refusalOf(ConfigError, () => loadConfig(env));

describe('loadConfig', () => {
  it('gives working defaults for an empty environment', () => {
    const config = loadConfig({});

    expect(config.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.database.dataDir).toMatch(/\.slipway$/);
    expect(config.docker.dind.privileged).toBe(true);
    expect(config.docker.job.timeoutMs).toBe(1_800_000);
    expect(config.concurrency).toBe(2);
    expect(config.docker.pool).toEqual({ size: 2, perProject: 1, idleMs: 1_800_000 });
    expect(config.github).toBeUndefined();
    expect(config.publicUrl).toBe('http://localhost:3000');
  });

  it('knows every secret setting’s value, so it is masked wherever output is shown', () => {
    const secrets = {
      DATABASE_URL: 'postgres://slipway:db-password@127.0.0.1:5432/slipway',
      SLIPWAY_ADMIN_TOKEN: 'admin-token-value-of-thirty-two-ch',
      SLIPWAY_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
      SLIPWAY_REGISTRY_PASSWORD: 'registry-password',
      SLIPWAY_REGISTRY_EVENTS_TOKEN: 'events-token-value',
      GITLAB_URL: 'https://gitlab.example.com',
      GITLAB_TOKEN: 'glpat-gitlab-token',
    };
    const config = loadConfig({ ...secrets, PUBLIC_URL: 'https://ci.example.com', SLIPWAY_REGISTRY_USER: 'slipway' });

    expect([...config.secrets].sort()).toEqual(Object.entries(secrets).filter(([name]) => name !== 'GITLAB_URL').map(([, value]) => value).sort());
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a whole number from 0 to 65535 (got "abc")'],
    [{ PORT: '70000' }, 'PORT must be a whole number from 0 to 65535 (got "70000")'],
    [{ PUBLIC_URL: 'example.com' }, 'PUBLIC_URL must be an http(s) URL such as https://example.com (got "example.com")'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    [{ DOCKER_HOST: '/var/run/docker.sock' }, 'DOCKER_HOST must be unix:///path/to/docker.sock or tcp://host:port (got "/var/run/docker.sock")'],
    [{ SLIPWAY_REGISTRY: 'http://127.0.0.1:5000' }, 'SLIPWAY_REGISTRY must be host[:port] with no scheme, such as 127.0.0.1:5000 (got "http://127.0.0.1:5000")'],
    [{ SLIPWAY_REGISTRY_MIRROR: '127.0.0.1:5000' }, 'SLIPWAY_REGISTRY_MIRROR must be an http(s) URL such as https://example.com (got "127.0.0.1:5000")'],
    [{ SLIPWAY_DIND_PRIVILEGED: 'maybe' }, 'SLIPWAY_DIND_PRIVILEGED must be one of true, false, 1, 0, yes, no (got "maybe")'],
    [{ SLIPWAY_JOB_TIMEOUT: '0' }, 'SLIPWAY_JOB_TIMEOUT must be a whole number from 1 to 86400 (got "0")'],
    [{ SLIPWAY_JOB_MEMORY: 'lots' }, 'SLIPWAY_JOB_MEMORY must be a size such as 512m or 2g (got "lots")'],
    [{ SLIPWAY_JOB_CPUS: 'two' }, 'SLIPWAY_JOB_CPUS must be a number of CPUs such as 1.5 (got "two")'],
    [{ SLIPWAY_CONCURRENCY: '-1' }, 'SLIPWAY_CONCURRENCY must be a whole number from 0 to 64 (got "-1")'],
    [{ SLIPWAY_POOL_SIZE: 'many' }, 'SLIPWAY_POOL_SIZE must be a whole number from 0 to 64 (got "many")'],
    [{ SLIPWAY_POOL_PER_PROJECT: '0' }, 'SLIPWAY_POOL_PER_PROJECT must be a whole number from 1 to 64 (got "0")'],
    [{ SLIPWAY_POOL_IDLE: '5' }, 'SLIPWAY_POOL_IDLE must be a whole number from 10 to 604800 (got "5")'],
    [{ APP_ID: 'my-app' }, 'APP_ID must be the numeric GitHub App id (got "my-app")'],
    [{ GHE_HOST: 'https://github.example.com' }, 'GHE_HOST must be a host name such as github.example.com, without a scheme (got "https://github.example.com")'],
    [{ GITLAB_URL: 'gitlab.example.com' }, 'GITLAB_URL must be an http(s) URL such as https://example.com (got "gitlab.example.com")'],
    [{ SLACK_API_URL: 'slack' }, 'SLACK_API_URL must be an http(s) URL such as https://example.com (got "slack")'],
    [{ SLACK_TEAM_ID: 'slipway' }, 'SLACK_TEAM_ID must be a Slack workspace id such as T0123ABCD (got "slipway")'],
    [{ SLIPWAY_SOURCE_MAX_BYTES: 'lots' }, 'SLIPWAY_SOURCE_MAX_BYTES must be a size such as 512m or 2g (got "lots")'],
    [{ SLIPWAY_SESSION_HOURS: '0' }, 'SLIPWAY_SESSION_HOURS must be a whole number from 1 to 720 (got "0")'],
    [{ HOST: 'every interface' }, 'HOST must be an address such as 0.0.0.0, 127.0.0.1 or :: (got "every interface")'],
    [{ SLIPWAY_WORKER_NAME: 'rack/7' }, 'SLIPWAY_WORKER_NAME must be a name of letters, digits, dots, dashes and underscores (no slashes) (got "rack/7")'],
    [{ SLIPWAY_DIND_CONNECT: 'ssh' }, 'SLIPWAY_DIND_CONNECT must be socket or tls (got "ssh")'],
    [{ DOCKER_TLS_VERIFY: '1' }, 'DOCKER_TLS_VERIFY is set, so DOCKER_HOST must be tcp://host:port (TLS is for a Docker host reached over the network)'],
    [{ DOCKER_TLS_VERIFY: '1', DOCKER_HOST: 'tcp://docker-host:2376', DOCKER_CERT_PATH: '/nonexistent/certs' }, 'DOCKER_CERT_PATH cannot be read (ENOENT): /nonexistent/certs/ca.pem'],
    [{ SLIPWAY_DOCKER_HOSTS: 'build-1:2376' }, 'SLIPWAY_DOCKER_HOSTS entry 1 (build-1:2376) must start with tcp:// or unix://'],
    [{ SLIPWAY_DOCKER_HOSTS: 'tcp://build-1:2376?capacity=4&gpu=yes' }, 'SLIPWAY_DOCKER_HOSTS entry 1 (tcp://build-1:2376) has unknown settings gpu: use capacity, tags, certs or name'],
    [{ SLIPWAY_DOCKER_HOSTS: 'unix:///var/run/docker.sock tcp://build-1:2376?capacity=0' }, 'SLIPWAY_DOCKER_HOSTS entry 2 (tcp://build-1:2376) capacity must be a whole number from 1 to 64'],
    [{ SLIPWAY_DOCKER_HOSTS: 'tcp://build-1:2376?tags=gpu;x' }, 'SLIPWAY_DOCKER_HOSTS entry 2 (x) must be a URL such as tcp://build-1:2376?capacity=4&tags=gpu or unix:///var/run/docker.sock?capacity=2'],
    [{ SLIPWAY_DOCKER_HOSTS: 'unix:///var/run/docker.sock unix:///var/run/docker.sock' }, 'SLIPWAY_DOCKER_HOSTS names /var/run/docker.sock twice: give each entry its own name='],
  ])('rejects %j with one line naming the variable', (env, message) => {
    expect(problemsFor(env)).toEqual([message]);
  });

  it.each([
    [{ APP_ID: '12345' }, ['PRIVATE_KEY is required when APP_ID is set', 'WEBHOOK_SECRET is required when APP_ID is set']],
    [
      { GITLAB_TOKEN: 'glpat-abc', GITLAB_WEBHOOK_SECRET: 'shared' },
      [
        'GITLAB_WEBHOOK_SECRET would let whoever holds it speak for every project: set GITLAB_WEBHOOK_PROJECT_ID to the one project it is for, or leave it out and give each project its own (slipway webhook-secret gitlab PROJECT_ID)',
      ],
    ],
    [{ GITLAB_WEBHOOK_PROJECT_ID: '7' }, ['GITLAB_WEBHOOK_SECRET is required when GITLAB_WEBHOOK_PROJECT_ID is set']],
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, ['SLACK_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set', 'SLACK_TEAM_ID is required when SLACK_BOT_TOKEN is set']],
    [{ SLIPWAY_REGISTRY_USER: 'ci' }, ['SLIPWAY_REGISTRY_PASSWORD is required when SLIPWAY_REGISTRY_USER is set']],
    [
      { GITHUB_CLIENT_ID: 'Iv1.abc' },
      ['GITHUB_CLIENT_SECRET is required when GITHUB_CLIENT_ID is set', 'APP_ID is required when GITHUB_CLIENT_ID is set', 'PUBLIC_URL is required when GITHUB_CLIENT_ID is set'],
    ],
    [{ GITLAB_OAUTH_CLIENT_SECRET: 'gloas-1' }, ['GITLAB_OAUTH_CLIENT_ID is required when GITLAB_OAUTH_CLIENT_SECRET is set']],
    [
      { GITLAB_OAUTH_CLIENT_ID: 'abc', GITLAB_OAUTH_CLIENT_SECRET: 'gloas-1', PUBLIC_URL: 'https://slipway.example.com' },
      ['GITLAB_TOKEN is required when GITLAB_OAUTH_CLIENT_ID is set'],
    ],
  ])('names each missing companion of %j', (env, messages) => {
    expect(problemsFor(env)).toEqual(messages);
  });

  it('reads the forges’ login applications, and never prints their secrets', () => {
    const config = loadConfig({ GITLAB_TOKEN: 'glpat-abc', GITLAB_OAUTH_CLIENT_ID: 'abc', GITLAB_OAUTH_CLIENT_SECRET: 'gloas-secret', PUBLIC_URL: 'https://slipway.example.com' });

    expect(config.gitlab?.login).toEqual({ clientId: 'abc', clientSecret: 'gloas-secret' });
    expect(config.web.sessionSeconds).toBe(12 * 3600);
    expect(problemsFor({ GITHUB_CLIENT_SECRET: 'github-secret-value', GITHUB_CLIENT_ID: '' }).join()).not.toContain('github-secret-value');
  });

  it('never prints the value of a secret variable', () => {
    const problems = problemsFor({ DATABASE_URL: 'mysql://admin:hunter2-secret@db/app' });

    expect(problems).toEqual([
      'DATABASE_URL must be a postgres:// URL such as postgres://user:password@host:5432/database',
    ]);
    expect(problems.join()).not.toContain('hunter2');
  });

  it('reads the private addresses includes may reach, and names a bad one', () => {
    expect(loadConfig({ SLIPWAY_INCLUDE_ALLOWED_ADDRESSES: '10.0.0.5, 10.1.0.0/16' }).source.includeAllowedAddresses).toEqual(['10.0.0.5', '10.1.0.0/16']);
    expect(problemsFor({ SLIPWAY_INCLUDE_ALLOWED_ADDRESSES: 'templates.internal' })).toEqual([
      'SLIPWAY_INCLUDE_ALLOWED_ADDRESSES must be IP addresses or CIDR ranges, such as 10.0.0.5,10.1.0.0/16 (got "templates.internal")',
    ]);
  });

  it('reports every bad variable at once', () => {
    expect(problemsFor({ PORT: 'x', SLIPWAY_CONCURRENCY: '65' })).toHaveLength(2);
  });

  it('reaches the daemons of a Docker host over TCP with TLS when DOCKER_HOST is tcp://, through their sockets otherwise', () => {
    const remote = loadConfig({ DOCKER_HOST: 'tcp://docker-host.internal:2375' });
    const local = loadConfig({ DOCKER_HOST: 'unix:///var/run/docker.sock' });
    const chosen = loadConfig({ DOCKER_HOST: 'tcp://docker-host.internal:2375', SLIPWAY_DIND_CONNECT: 'socket' });

    expect([remote.docker.dind.connect, remote.docker.dind.reachAt]).toEqual(['tls', 'docker-host.internal']);
    expect(local.docker.dind.connect).toBe('socket');
    expect(chosen.docker.dind.connect).toBe('socket');
    expect(remote.docker.tls).toBeUndefined();
  });

  it('reads several Docker hosts with their capacity and tags; the worker runs as many pipelines as they take together', () => {
    const config = loadConfig({ SLIPWAY_DOCKER_HOSTS: 'tcp://build-1:2376?capacity=4&tags=gpu,arm64\n unix:///var/run/docker.sock?capacity=2&name=local', SLIPWAY_CONCURRENCY: '9' });

    expect(config.docker.hosts).toEqual([
      { name: 'build-1:2376', url: 'tcp://build-1:2376', capacity: 4, tags: ['gpu', 'arm64'], tls: undefined, connect: 'tls', reachAt: 'build-1' },
      { name: 'local', url: 'unix:///var/run/docker.sock', capacity: 2, tags: [], tls: undefined, connect: 'socket', reachAt: '127.0.0.1' },
    ]);
    expect(config.concurrency).toBe(6);
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).port).toBe(3000);
  });

  it('builds the forge and chat sections only when fully configured', () => {
    const config = loadConfig({
      APP_ID: '42',
      PRIVATE_KEY: 'key',
      WEBHOOK_SECRET: 'shh',
      GITLAB_URL: 'https://gitlab.example.com/',
      GITLAB_TOKEN: 'glpat',
      GITLAB_WEBHOOK_SECRET: 'token',
      GITLAB_WEBHOOK_PROJECT_ID: '7',
    });

    expect(config.github).toEqual({ appId: '42', privateKey: 'key', webhookSecret: 'shh', gheHost: undefined });
    expect(config.gitlab).toEqual({ url: 'https://gitlab.example.com', token: 'glpat', webhookSecret: 'token', webhookProjectId: '7' });
    expect(config.slack).toBeUndefined();
  });
});
