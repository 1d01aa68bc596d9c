import os from 'node:os';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSecretKey } from './secret-key.js';
import { EnvSchema, REQUIRED_TOGETHER, SECRET_VARIABLES, type Env } from './env-schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** How each pipeline's Docker-in-Docker daemon is started. */
export interface DindSettings {
  image: string;
  /** When false: every capability but SYS_RESOURCE, no seccomp/AppArmor, /sys/fs/cgroup bound (for hosts where --privileged fails). */
  privileged: boolean;
  /** Docker network of the dind container; `host` also turns off the inner daemon's bridge and iptables. */
  network: string;
  mtu: number | undefined;
  /** Host folder under which each daemon gets a folder holding its socket. */
  socketDir: string;
  /**
   * `socket`: Slipway shares the Docker host's filesystem and uses each daemon's socket there;
   * `tls`: the daemon listens on TCP with a certificate pair made for it, published on the Docker
   * host and reached at `reachAt` (DOCKER_HOST's host name).
   */
  connect: 'socket' | 'tls';
  reachAt: string;
  readyTimeoutMs: number;
  registryMirror: string | undefined;
}

/** One Docker host a worker runs pipelines on, at most `capacity` at once. */
export interface DockerHostSettings {
  /** For logs and the daemons' labels. */
  name: string;
  url: string;
  capacity: number;
  /** Runner tags it offers: once any host has some, a tagged pipeline goes only to a host with all of its tags. */
  tags: string[];
  tls: DockerTls | undefined;
  /** How its daemons are reached (see DindSettings). */
  connect: 'socket' | 'tls';
  reachAt: string;
}

/** PEM contents of DOCKER_CERT_PATH's ca.pem, cert.pem and key.pem. */
export interface DockerTls {
  ca: string;
  cert: string;
  key: string;
}

/** Slipway as the registry's token issuer (Docker's token authentication). */
export interface RegistryTokenSettings {
  privateKeyPem: string;
  certificatePem: string;
  service: string;
  issuer: string;
}

export interface Config {
  /** Every secret setting's value, masked wherever job output or errors are shown. */
  secrets: string[];
  port: number;
  /** The listen address (HOST). */
  host: string;
  publicUrl: string;
  logLevel: Env['LOG_LEVEL'];
  database: { url: string | undefined; dataDir: string; embeddedPort: number };
  docker: {
    host: string | undefined;
    /** Client certificate and CA for a tcp:// DOCKER_HOST with DOCKER_TLS_VERIFY. */
    tls: DockerTls | undefined;
    /** Where pipelines run: SLIPWAY_DOCKER_HOSTS, or DOCKER_HOST with SLIPWAY_CONCURRENCY. */
    hosts: DockerHostSettings[];
    /** Which pipelines are kept to hosts tagged `untrusted` (SLIPWAY_UNTRUSTED_PIPELINES). */
    untrustedPipelines: 'none' | 'forks' | 'unprotected';
    dind: DindSettings;
    /** Seeded daemons kept ready (`size` 0: none). */
    pool: { size: number; perProject: number; idleMs: number };
    job: {
      network: string;
      timeoutMs: number;
      defaultImage: string | undefined;
      serviceReadyTimeoutMs: number;
      memory: string | undefined;
      cpus: number | undefined;
      pids: number | undefined;
    };
  };
  registry: { host: string; user: string | undefined; password: string | undefined; token: RegistryTokenSettings | undefined; eventsToken: string | undefined };
  concurrency: number;
  /** The first part of this process's worker id (`<name>/<pid>/<random>`). */
  workerName: string;
  /** Set only where the database cannot say it (see resolveInstallationId). */
  installationId: string | undefined;
  /** Where the provenance signing key is; absent: made once in the data folder. */
  signingKeyFile: string | undefined;
  /** Running pipelines one project may have across every worker; 0: no cap. */
  maxPipelinesPerProject: number;
  leaseMs: number;
  /** The key CI/CD variables are encrypted with; absent: none can be stored or given. */
  secretKey: Buffer | undefined;
  adminToken: string | undefined;
  policyFile: string | undefined;
  /** What a forge archive may unpack to, and how long reading a pipeline file may take. */
  source: { maxBytes: number; maxFiles: number; pipelineFileTimeoutMs: number; includeAllowedAddresses: string[] };
  /** Limits on what jobs keep in the registry. */
  artifacts: { maxBytes: number; cacheMaxBytes: number };
  github: { appId: string; privateKey: string; webhookSecret: string; gheHost: string | undefined; login?: OAuthClient } | undefined;
  /** `webhookSecret`: a shared secret, always bound to one project (`webhookProjectId`); per-project secrets live in the database. */
  gitlab: { url: string; token: string; webhookSecret: string | undefined; webhookProjectId: string | undefined; login?: OAuthClient } | undefined;
  /** The web UI: how long a login lasts. Who may log in is the forges' `login`. */
  web: { sessionSeconds: number };
  slack: { botToken: string; signingSecret: string; apiUrl: string; teamId: string } | undefined;
}

/** An OAuth application registered on a forge, for logging in to the web UI. */
export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

/** `512m`, `2g`, `1024` -> bytes. */
export function parseByteSize(size: string): number {
  const unit = size.slice(-1).toLowerCase();
  const scale = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit];
  return scale ? Number(size.slice(0, -1)) * scale : Number(size);
}

function describe(variable: string, value: string | undefined, message: string): string {
  const shown = value === undefined || SECRET_VARIABLES.has(variable) ? '' : ` (got ${JSON.stringify(value)})`;
  return `${variable} ${message}${shown}`;
}

/** Parses the environment once; every problem is one line naming the variable, never a secret's value. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const raw = Object.fromEntries(
    Object.keys(EnvSchema.shape).map((key) => {
      const value = source[key];
      return [key, value === '' ? undefined : value];
    }),
  );
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0]);
      return describe(variable, raw[variable], issue.message);
    });
    throw new ConfigError(problems);
  }
  const env = parsed.data;
  const missing = REQUIRED_TOGETHER.flatMap(([trigger, needed]) =>
    env[trigger] === undefined
      ? []
      : needed.filter((name) => env[name] === undefined).map((name) => `${name} is required when ${trigger} is set`),
  );
  if (missing.length > 0) throw new ConfigError(missing);
  const config = toConfig(env, registryToken(env), env.SLIPWAY_SECRET_KEY === undefined ? undefined : secretKey(env.SLIPWAY_SECRET_KEY), dockerTls(env));
  return { ...config, secrets: secretsOf(env) };
}

/** The values of every setting env-schema.ts calls secret: the one list, so none can be left out here. */
function secretsOf(env: Env): string[] {
  return [...SECRET_VARIABLES].map((name) => env[name as keyof Env]).filter((value): value is string => typeof value === 'string' && value.length >= 4);
}

/** Docker's own TLS conventions: DOCKER_TLS_VERIFY turns it on, DOCKER_CERT_PATH (or ~/.docker) holds the files. */
function dockerTls(env: Env): DockerTls | undefined {
  const verify = env.DOCKER_TLS_VERIFY !== undefined && !/^(0|false)$/i.test(env.DOCKER_TLS_VERIFY);
  if (!verify) return undefined;
  if (!env.DOCKER_HOST?.startsWith('tcp://') && !env.SLIPWAY_DOCKER_HOSTS) throw new ConfigError(['DOCKER_TLS_VERIFY is set, so DOCKER_HOST must be tcp://host:port (TLS is for a Docker host reached over the network)']);
  return readCerts('DOCKER_CERT_PATH', env.DOCKER_CERT_PATH ?? path.join(os.homedir(), '.docker'));
}

function readPem(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`${variable} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): ${file}`]);
  }
}

/** The signing key and its certificate, checked to belong together now rather than at the first `docker login`. */
function registryToken(env: Env): RegistryTokenSettings | undefined {
  if (!env.SLIPWAY_REGISTRY_TOKEN_KEY_FILE || !env.SLIPWAY_REGISTRY_TOKEN_CERT_FILE) return undefined;
  const privateKeyPem = readPem('SLIPWAY_REGISTRY_TOKEN_KEY_FILE', env.SLIPWAY_REGISTRY_TOKEN_KEY_FILE);
  const certificatePem = readPem('SLIPWAY_REGISTRY_TOKEN_CERT_FILE', env.SLIPWAY_REGISTRY_TOKEN_CERT_FILE);
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    throw new ConfigError(['SLIPWAY_REGISTRY_TOKEN_KEY_FILE must hold a PEM private key (RSA or EC P-256)']);
  }
  let certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    throw new ConfigError(['SLIPWAY_REGISTRY_TOKEN_CERT_FILE must hold a PEM certificate']);
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new ConfigError(['SLIPWAY_REGISTRY_TOKEN_CERT_FILE is not the certificate of SLIPWAY_REGISTRY_TOKEN_KEY_FILE: the registry would refuse every token']);
  }
  return { privateKeyPem, certificatePem, service: env.SLIPWAY_REGISTRY_TOKEN_SERVICE, issuer: env.SLIPWAY_REGISTRY_TOKEN_ISSUER };
}

function secretKey(text: string): Buffer {
  const parsed = parseSecretKey(text, 'SLIPWAY_SECRET_KEY');
  if (!parsed.ok) throw new ConfigError([parsed.reason]);
  return parsed.key;
}

function readCerts(variable: string, folder: string): DockerTls {
  const file = (name: string) => readPem(variable, path.join(folder, name));
  return { ca: file('ca.pem'), cert: file('cert.pem'), key: file('key.pem') };
}

const HOST_PARAMETERS = new Set(['capacity', 'tags', 'certs', 'name']);

/** SLIPWAY_DOCKER_HOSTS: `tcp://build-1:2376?capacity=4&tags=gpu,arm64 unix:///var/run/docker.sock?capacity=2`. */
function dockerHosts(env: Env, dockerTls: DockerTls | undefined): DockerHostSettings[] {
  const remoteConnect = (url: URL): Pick<DockerHostSettings, 'connect' | 'reachAt'> =>
    url.protocol === 'tcp:' ? { connect: env.SLIPWAY_DIND_CONNECT ?? 'tls', reachAt: url.hostname } : { connect: env.SLIPWAY_DIND_CONNECT ?? 'socket', reachAt: '127.0.0.1' };
  if (!env.SLIPWAY_DOCKER_HOSTS) {
    const url = env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
    return [{ name: 'default', url, capacity: env.SLIPWAY_CONCURRENCY, tags: [], tls: dockerTls, ...remoteConnect(new URL(url)) }];
  }
  const problems: string[] = [];
  const hosts = env.SLIPWAY_DOCKER_HOSTS.split(/[\s;]+/).filter(Boolean).flatMap((entry, index): DockerHostSettings[] => {
    const problem = (text: string) => {
      problems.push(`SLIPWAY_DOCKER_HOSTS entry ${index + 1} (${entry.replace(/\?.*/, '')}) ${text}`);
      return [];
    };
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return problem('must be a URL such as tcp://build-1:2376?capacity=4&tags=gpu or unix:///var/run/docker.sock?capacity=2');
    }
    if (url.protocol !== 'tcp:' && url.protocol !== 'unix:') return problem('must start with tcp:// or unix://');
    const unknown = [...url.searchParams.keys()].filter((key) => !HOST_PARAMETERS.has(key));
    if (unknown.length > 0) return problem(`has unknown settings ${unknown.join(', ')}: use capacity, tags, certs or name`);
    const capacity = Number(url.searchParams.get('capacity') ?? '1');
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 64) return problem('capacity must be a whole number from 1 to 64');
    const tags = (url.searchParams.get('tags') ?? '').split(',').map((tag) => tag.trim()).filter(Boolean);
    if (tags.some((tag) => !/^[A-Za-z0-9_.:-]+$/.test(tag))) return problem('tags must be names of letters, digits, dots, dashes, colons and underscores');
    const certs = url.searchParams.get('certs');
    const address = `${url.protocol}//${url.host}${url.pathname}`;
    return [
      {
        name: url.searchParams.get('name') ?? (url.protocol === 'tcp:' ? url.host : url.pathname),
        url: address,
        capacity,
        tags,
        tls: url.protocol === 'tcp:' ? (certs ? readCerts('SLIPWAY_DOCKER_HOSTS certs', certs) : dockerTls) : undefined,
        ...remoteConnect(url),
      },
    ];
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const names = hosts.map((host) => host.name);
  const twice = names.filter((name, index) => names.indexOf(name) !== index);
  if (twice.length > 0) throw new ConfigError([`SLIPWAY_DOCKER_HOSTS names ${twice[0]} twice: give each entry its own name=`]);
  if (hosts.length === 0) throw new ConfigError(['SLIPWAY_DOCKER_HOSTS is set but names no host']);
  return hosts;
}

/** Outside code kept to hosts of its own needs both kinds of host. */
function checkUntrustedHosts(env: Env, hosts: DockerHostSettings[]): void {
  if (env.SLIPWAY_UNTRUSTED_PIPELINES === 'none') return;
  const tagged = hosts.filter((host) => host.tags.includes('untrusted')).length;
  if (tagged === 0) throw new ConfigError([`SLIPWAY_UNTRUSTED_PIPELINES=${env.SLIPWAY_UNTRUSTED_PIPELINES} needs a SLIPWAY_DOCKER_HOSTS entry with tags=untrusted for those pipelines to run on`]);
  if (tagged === hosts.length) throw new ConfigError([`SLIPWAY_UNTRUSTED_PIPELINES=${env.SLIPWAY_UNTRUSTED_PIPELINES} needs a SLIPWAY_DOCKER_HOSTS entry without tags=untrusted for every other pipeline`]);
}

function dockerSettings(env: Env, dockerTls: DockerTls | undefined, hosts: Config['docker']['hosts']): Config['docker'] {
  // A Docker host reached over the network shares no folder with Slipway: its daemons are reached over TCP.
  const remote = env.DOCKER_HOST?.startsWith('tcp://') ?? false;
  return {
    host: env.DOCKER_HOST,
    tls: dockerTls,
    hosts,
    untrustedPipelines: env.SLIPWAY_UNTRUSTED_PIPELINES,
    dind: {
      image: env.SLIPWAY_DIND_IMAGE,
      privileged: env.SLIPWAY_DIND_PRIVILEGED,
      network: env.SLIPWAY_DIND_NETWORK,
      mtu: env.SLIPWAY_DIND_MTU || undefined,
      socketDir: path.resolve(env.SLIPWAY_DIND_SOCKET_DIR),
      connect: env.SLIPWAY_DIND_CONNECT ?? (remote ? 'tls' : 'socket'),
      reachAt: remote ? new URL(env.DOCKER_HOST!).hostname : '127.0.0.1',
      readyTimeoutMs: env.SLIPWAY_DIND_READY_TIMEOUT * 1000,
      registryMirror: env.SLIPWAY_REGISTRY_MIRROR,
    },
    pool: { size: env.SLIPWAY_POOL_SIZE, perProject: env.SLIPWAY_POOL_PER_PROJECT, idleMs: env.SLIPWAY_POOL_IDLE * 1000 },
    job: {
      network: env.SLIPWAY_JOB_NETWORK,
      timeoutMs: env.SLIPWAY_JOB_TIMEOUT * 1000,
      defaultImage: env.SLIPWAY_DEFAULT_IMAGE,
      serviceReadyTimeoutMs: env.SLIPWAY_SERVICE_READY_TIMEOUT * 1000,
      memory: env.SLIPWAY_JOB_MEMORY,
      cpus: env.SLIPWAY_JOB_CPUS === undefined ? undefined : Number(env.SLIPWAY_JOB_CPUS),
      pids: env.SLIPWAY_JOB_PIDS || undefined,
    },
  };
}

function forgeSettings(env: Env): Pick<Config, 'github' | 'gitlab'> {
  return {
    github:
      env.APP_ID && env.PRIVATE_KEY && env.WEBHOOK_SECRET
        ? {
            appId: env.APP_ID,
            privateKey: env.PRIVATE_KEY,
            webhookSecret: env.WEBHOOK_SECRET,
            gheHost: env.GHE_HOST,
            login: env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET ? { clientId: env.GITHUB_CLIENT_ID, clientSecret: env.GITHUB_CLIENT_SECRET } : undefined,
          }
        : undefined,
    gitlab:
      env.GITLAB_TOKEN
        ? {
            url: env.GITLAB_URL.replace(/\/+$/, ''),
            token: env.GITLAB_TOKEN,
            webhookSecret: env.GITLAB_WEBHOOK_SECRET,
            webhookProjectId: env.GITLAB_WEBHOOK_PROJECT_ID,
            login:
              env.GITLAB_OAUTH_CLIENT_ID && env.GITLAB_OAUTH_CLIENT_SECRET ? { clientId: env.GITLAB_OAUTH_CLIENT_ID, clientSecret: env.GITLAB_OAUTH_CLIENT_SECRET } : undefined,
          }
        : undefined,
  };
}

function toConfig(env: Env, token: RegistryTokenSettings | undefined, secretKey: Buffer | undefined, dockerTls: DockerTls | undefined): Omit<Config, 'secrets'> {
  const hosts = dockerHosts(env, dockerTls);
  checkUntrustedHosts(env, hosts);
  if (env.GITLAB_WEBHOOK_SECRET && !env.GITLAB_WEBHOOK_PROJECT_ID) {
    throw new ConfigError([
      'GITLAB_WEBHOOK_SECRET would let whoever holds it speak for every project: set GITLAB_WEBHOOK_PROJECT_ID to the one project it is for, or leave it out and give each project its own (slipway webhook-secret gitlab PROJECT_ID)',
    ]);
  }
  const dataDir = path.resolve(env.SLIPWAY_DATA_DIR);
  return {
    port: env.PORT,
    host: env.HOST,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    logLevel: env.LOG_LEVEL,
    database: { url: env.DATABASE_URL, dataDir, embeddedPort: env.SLIPWAY_EMBEDDED_PG_PORT },
    docker: dockerSettings(env, dockerTls, hosts),
    registry: { host: env.SLIPWAY_REGISTRY, user: env.SLIPWAY_REGISTRY_USER, password: env.SLIPWAY_REGISTRY_PASSWORD, token, eventsToken: env.SLIPWAY_REGISTRY_EVENTS_TOKEN },
    // With several hosts, a worker runs as many pipelines as they take together.
    concurrency: env.SLIPWAY_DOCKER_HOSTS ? hosts.reduce((sum, host) => sum + host.capacity, 0) : env.SLIPWAY_CONCURRENCY,
    maxPipelinesPerProject: env.SLIPWAY_MAX_PIPELINES_PER_PROJECT,
    workerName: env.SLIPWAY_WORKER_NAME ?? os.hostname(),
    installationId: env.SLIPWAY_INSTALLATION_ID,
    signingKeyFile: env.SLIPWAY_SIGNING_KEY_FILE,
    secretKey,
    adminToken: env.SLIPWAY_ADMIN_TOKEN,
    leaseMs: env.SLIPWAY_LEASE_SECONDS * 1000,
    policyFile: env.SLIPWAY_CONFIG,
    source: {
      maxBytes: parseByteSize(env.SLIPWAY_SOURCE_MAX_BYTES ?? '2g'),
      maxFiles: env.SLIPWAY_SOURCE_MAX_FILES,
      pipelineFileTimeoutMs: env.SLIPWAY_PIPELINE_FILE_TIMEOUT * 1000,
      includeAllowedAddresses: env.SLIPWAY_INCLUDE_ALLOWED_ADDRESSES,
    },
    artifacts: { maxBytes: parseByteSize(env.SLIPWAY_ARTIFACTS_MAX_BYTES ?? '100m'), cacheMaxBytes: parseByteSize(env.SLIPWAY_CACHE_MAX_BYTES ?? '1g') },
    ...forgeSettings(env),
    web: { sessionSeconds: env.SLIPWAY_SESSION_HOURS * 3600 },
    slack:
      env.SLACK_BOT_TOKEN && env.SLACK_SIGNING_SECRET && env.SLACK_TEAM_ID
        ? { botToken: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET, apiUrl: env.SLACK_API_URL, teamId: env.SLACK_TEAM_ID }
        : undefined,
  };
}
