import { z } from 'zod';

/** Variables whose values must never appear in an error message or a log. */
export const SECRET_VARIABLES = new Set([
  'DATABASE_URL',
  'PRIVATE_KEY',
  'WEBHOOK_SECRET',
  'GITLAB_TOKEN',
  'GITLAB_WEBHOOK_SECRET',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLIPWAY_REGISTRY_PASSWORD',
  'SLIPWAY_REGISTRY_EVENTS_TOKEN',
  'SLIPWAY_SECRET_KEY',
  'SLIPWAY_ADMIN_TOKEN',
  'GITHUB_CLIENT_SECRET',
  'GITLAB_OAUTH_CLIENT_SECRET',
]);

const optionalText = z.string().trim().min(1).optional();

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be one of true, false, 1, 0, yes, no' })
    .optional()
    .transform((value) => (value === undefined ? fallback : ['true', '1', 'yes'].includes(value)));

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    });

const httpUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^/\s]+/.test(value) && URL.canParse(value), {
    message: 'must be an http(s) URL such as https://example.com',
  });

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\/.+/.test(value) && URL.canParse(value), {
    message: 'must be a postgres:// URL such as postgres://user:password@host:5432/database',
  });

/** A registry address as Docker writes it in image references: host[:port], no scheme. */
const registryHost = z
  .string()
  .trim()
  .regex(/^[a-z0-9.-]+(:\d{1,5})?$/i, { message: 'must be host[:port] with no scheme, such as 127.0.0.1:5000' });

/** Byte sizes such as 512m or 2g, as `docker run --memory` takes them. */
const byteSize = z
  .string()
  .trim()
  .regex(/^\d+[kmg]?$/i, { message: 'must be a size such as 512m or 2g' })
  .optional();

/** Every environment variable in Slipway's public contract; parsed once at start-up. */
export const EnvSchema = z.object({
  PORT: integer(3000, 0, 65535),
  /** The address the HTTP server listens on: every interface by default (what a container needs). */
  HOST: z.string().trim().regex(/^[0-9a-zA-Z.:_-]+$/, { message: 'must be an address such as 0.0.0.0, 127.0.0.1 or ::' }).default('0.0.0.0'),
  PUBLIC_URL: httpUrl.optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  DATABASE_URL: postgresUrl.optional(),
  /** Where the embedded PostgreSQL and other local state live when DATABASE_URL is absent. */
  SLIPWAY_DATA_DIR: z.string().trim().min(1).default('.slipway'),
  SLIPWAY_EMBEDDED_PG_PORT: integer(54329, 1, 65535),

  DOCKER_HOST: z
    .string()
    .trim()
    .regex(/^(unix|tcp|http|https):\/\/.+/, { message: 'must be unix:///path/to/docker.sock or tcp://host:port' })
    .optional(),
  /** Docker's own conventions: any value but 0 or false turns TLS on for a tcp:// DOCKER_HOST, verified against DOCKER_CERT_PATH's ca.pem. */
  DOCKER_TLS_VERIFY: optionalText,
  /** Holds ca.pem, cert.pem and key.pem; ~/.docker by default, as for the docker CLI. */
  DOCKER_CERT_PATH: optionalText,
  SLIPWAY_REGISTRY: registryHost.default('127.0.0.1:5000'),
  SLIPWAY_REGISTRY_USER: optionalText,
  SLIPWAY_REGISTRY_PASSWORD: optionalText,
  /**
   * The bearer token the registry's notifications send to POST /registry/events. When set, a
   * pipeline's tested image is only what the registry reports that pipeline pushed, and a tag an
   * unprotected pipeline overwrites (latest, a protected branch's, another commit's) is put back.
   */
  SLIPWAY_REGISTRY_EVENTS_TOKEN: z.string().trim().min(16, { message: 'must be at least 16 characters: use a random token such as `openssl rand -hex 24`' }).optional(),
  SLIPWAY_REGISTRY_MIRROR: httpUrl.optional(),
  /** ECDSA P-256 private key (PEM) that signs images' provenance; made once in SLIPWAY_DATA_DIR when not set. */
  SLIPWAY_SIGNING_KEY_FILE: optionalText,
  /** PEM private key that signs registry tokens: set it when the registry's `auth.token.realm` is Slipway. */
  SLIPWAY_REGISTRY_TOKEN_KEY_FILE: optionalText,
  /** PEM certificate of that key: the registry's `auth.token.rootcertbundle`. */
  SLIPWAY_REGISTRY_TOKEN_CERT_FILE: optionalText,
  /** Must equal the registry's `auth.token.service` and `auth.token.issuer`. */
  SLIPWAY_REGISTRY_TOKEN_SERVICE: z.string().trim().min(1).default('slipway-registry'),
  SLIPWAY_REGISTRY_TOKEN_ISSUER: z.string().trim().min(1).default('slipway'),
  SLIPWAY_DIND_IMAGE: z.string().trim().min(1).default('docker:dind'),
  SLIPWAY_DIND_PRIVILEGED: flag(true),
  /** `host` shares the Docker host's network; the inner daemon then runs without bridge or iptables. */
  SLIPWAY_DIND_NETWORK: z.string().trim().min(1).default('bridge'),
  SLIPWAY_DIND_MTU: integer(0, 0, 65535),
  SLIPWAY_DIND_SOCKET_DIR: z.string().trim().min(1).default('/tmp/slipway-dind'),
  /** Several Docker hosts for one worker: `URL?capacity=N&tags=a,b&certs=DIR` entries, separated by spaces. */
  SLIPWAY_DOCKER_HOSTS: optionalText,
  /** How Slipway reaches each pipeline's daemon: its socket in a shared folder, or TCP with TLS (the default for a tcp:// DOCKER_HOST). */
  SLIPWAY_DIND_CONNECT: z.enum(['socket', 'tls'], { error: 'must be socket or tls' }).optional(),
  SLIPWAY_DIND_READY_TIMEOUT: integer(60, 1, 3600),
  SLIPWAY_JOB_NETWORK: z.string().trim().min(1).default('bridge'),
  /** Seeded dind daemons kept ready on the Docker host, all projects together; 0 turns the pool off. */
  SLIPWAY_POOL_SIZE: integer(2, 0, 64),
  /** The most of them seeded for one project (at one trust: fork, protected, unprotected). */
  SLIPWAY_POOL_PER_PROJECT: integer(1, 1, 64),
  /** Seconds a seeded daemon waits for a pipeline before it is removed. */
  SLIPWAY_POOL_IDLE: integer(1800, 10, 7 * 86400),
  /** The image of a job whose file names none, as a GitLab runner's default image. */
  SLIPWAY_DEFAULT_IMAGE: optionalText,
  /** Seconds a job waits for its services' ports before it fails. */
  SLIPWAY_SERVICE_READY_TIMEOUT: integer(30, 1, 3600),
  /** 32 random bytes, base64 (`openssl rand -base64 32`): encrypts stored CI/CD variables. */
  SLIPWAY_SECRET_KEY: optionalText,
  /** Bearer token for the admin JSON API (CI/CD variables) until people log in with their forge. */
  SLIPWAY_ADMIN_TOKEN: z.string().trim().min(24, { message: 'must be at least 24 characters (openssl rand -hex 24)' }).optional(),
  /** Seconds. */
  SLIPWAY_JOB_TIMEOUT: integer(1800, 1, 86400),
  SLIPWAY_JOB_MEMORY: byteSize,
  SLIPWAY_JOB_CPUS: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, { message: 'must be a number of CPUs such as 1.5' })
    .optional(),
  SLIPWAY_JOB_PIDS: integer(0, 0, 1_000_000),
  /** 0 runs no workers in this process: an HTTP-only front, with `slipway worker` elsewhere. */
  SLIPWAY_CONCURRENCY: integer(2, 0, 64),
  /**
   * Which pipelines run only on SLIPWAY_DOCKER_HOSTS entries tagged `untrusted` (and nothing else
   * runs there): `forks`, `unprotected` (forks and every unprotected branch), or `none`.
   */
  SLIPWAY_UNTRUSTED_PIPELINES: z.enum(['none', 'forks', 'unprotected'], { error: 'must be none, forks or unprotected' }).default('none'),
  /** How this process names itself in worker ids and daemon owner labels; the machine's host name by default. */
  SLIPWAY_WORKER_NAME: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, { message: 'must be a name of letters, digits, dots, dashes and underscores (no slashes)' }).optional(),
  /**
   * The installation this process belongs to, where it has no database of its own to read it
   * from (Slipway hands it to the background seeder a run leaves); the database's otherwise.
   */
  SLIPWAY_INSTALLATION_ID: z.string().trim().regex(/^[a-z0-9]{6,32}$/, { message: 'must be 6 to 32 lower-case letters and digits' }).optional(),
  /** Pipelines of one project running at once across all workers; 0: no cap (the fairest project still goes first). */
  SLIPWAY_MAX_PIPELINES_PER_PROJECT: integer(0, 0, 10_000),
  /** Seconds a worker's claim on a pipeline or deploy lasts without renewal: how soon another takes over after a crash. */
  SLIPWAY_LEASE_SECONDS: integer(30, 2, 3600),
  SLIPWAY_CONFIG: optionalText,
  /** Bytes and files a forge archive may unpack to; past either the pipeline fails with the limit named. */
  SLIPWAY_SOURCE_MAX_BYTES: byteSize.default('2g'),
  SLIPWAY_SOURCE_MAX_FILES: integer(200_000, 1, 10_000_000),
  /** The most one job's artifacts may weigh, compressed; past it the job fails, naming this. */
  SLIPWAY_ARTIFACTS_MAX_BYTES: byteSize.default('100m'),
  /** The most one cache may weigh, compressed; past it the cache is not saved (a note, not a failure). */
  SLIPWAY_CACHE_MAX_BYTES: byteSize.default('1g'),
  /** Seconds reading a pipeline file (YAML, extends, rules) may take, off the event loop. */
  SLIPWAY_PIPELINE_FILE_TIMEOUT: integer(10, 1, 600),
  /**
   * Private-range addresses an `include:remote` may still reach (a template server inside the
   * company network), comma-separated IPs or CIDR ranges; everything else private is refused.
   */
  SLIPWAY_INCLUDE_ALLOWED_ADDRESSES: z
    .string()
    .trim()
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .pipe(z.array(z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, { message: 'must be IP addresses or CIDR ranges, such as 10.0.0.5,10.1.0.0/16' })))
    .default([]),

  APP_ID: z.string().trim().regex(/^\d+$/, { message: 'must be the numeric GitHub App id' }).optional(),
  PRIVATE_KEY: optionalText,
  WEBHOOK_SECRET: optionalText,
  GHE_HOST: z
    .string()
    .trim()
    .regex(/^[a-z0-9.-]+(:\d+)?$/i, { message: 'must be a host name such as github.example.com, without a scheme' })
    .optional(),
  /** The GitHub App's OAuth credentials: people log in to the web UI with GitHub. */
  GITHUB_CLIENT_ID: optionalText,
  GITHUB_CLIENT_SECRET: optionalText,
  GITLAB_URL: httpUrl.default('https://gitlab.com'),
  /** A GitLab OAuth application (scope read_user): people log in to the web UI with GitLab. */
  GITLAB_OAUTH_CLIENT_ID: optionalText,
  GITLAB_OAUTH_CLIENT_SECRET: optionalText,
  /** How long a web UI login lasts. */
  SLIPWAY_SESSION_HOURS: integer(12, 1, 24 * 30),
  GITLAB_TOKEN: optionalText,
  GITLAB_WEBHOOK_SECRET: optionalText,
  /**
   * The one GitLab project (its numeric id) GITLAB_WEBHOOK_SECRET is for. Without it a shared
   * secret is refused: issue each project its own with `slipway webhook-secret gitlab ID`.
   */
  GITLAB_WEBHOOK_PROJECT_ID: z.string().trim().regex(/^\d{1,15}$/, { message: 'must be a GitLab project id (a number), as shown on its overview page' }).optional(),
  SLACK_BOT_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_API_URL: httpUrl.default('https://slack.com/api/'),
  /** The one workspace whose requests are honoured (`T…`, the team_id Slack sends). */
  SLACK_TEAM_ID: z.string().trim().regex(/^[TE][A-Z0-9]{2,}$/, { message: 'must be a Slack workspace id such as T0123ABCD' }).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

/** Variables that only make sense together: setting the first asks for the others. */
export const REQUIRED_TOGETHER: ReadonlyArray<readonly [keyof Env, ReadonlyArray<keyof Env>]> = [
  ['APP_ID', ['PRIVATE_KEY', 'WEBHOOK_SECRET']],
  ['GITLAB_WEBHOOK_PROJECT_ID', ['GITLAB_WEBHOOK_SECRET']],
  // Who may read what is asked of the forge with Slipway's own credentials, and the forge
  // sends people back to PUBLIC_URL.
  ['GITHUB_CLIENT_ID', ['GITHUB_CLIENT_SECRET', 'APP_ID', 'PUBLIC_URL']],
  ['GITHUB_CLIENT_SECRET', ['GITHUB_CLIENT_ID']],
  ['GITLAB_OAUTH_CLIENT_ID', ['GITLAB_OAUTH_CLIENT_SECRET', 'GITLAB_TOKEN', 'PUBLIC_URL']],
  ['GITLAB_OAUTH_CLIENT_SECRET', ['GITLAB_OAUTH_CLIENT_ID']],
  ['SLACK_BOT_TOKEN', ['SLACK_SIGNING_SECRET', 'SLACK_TEAM_ID']],
  ['SLIPWAY_REGISTRY_USER', ['SLIPWAY_REGISTRY_PASSWORD']],
  ['SLIPWAY_REGISTRY_TOKEN_KEY_FILE', ['SLIPWAY_REGISTRY_TOKEN_CERT_FILE']],
  ['SLIPWAY_REGISTRY_TOKEN_CERT_FILE', ['SLIPWAY_REGISTRY_TOKEN_KEY_FILE']],
];
