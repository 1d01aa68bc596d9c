#!/usr/bin/env node
import { createRequire } from 'node:module';
import { ConfigError } from './config/load-config.js';
import { StartupError } from './util/startup-error.js';
import { PolicyFileError } from './config/policy-file.js';
import { POOL_USAGE, RUN_USAGE, VARIABLES_USAGE, VERIFY_USAGE, WEBHOOK_SECRET_USAGE } from './commands/command-usage.js';
import { UsageError } from './commands/usage-error.js';
import { SecretKeyError } from './config/secret-key.js';

const USAGE = `usage: slipway <command> [--help]

commands:
  serve                          HTTP server, pipeline workers and deploy runner (what \`npm start\` runs)
  worker                         pipeline workers and deploy runner only (scale out: one per Docker host, one database)
  run [DIR] [--sha SHA] [--json] run the pipeline of a local checkout; exit 0 only if every job passed
  migrate [--down] [--count N]   apply (or revert) database migrations, then exit
  variables set|list|unset|rekey a project's CI/CD variables (\`slipway variables\` for details)
  pool status|seed|drain         the Docker host's pool of seeded dind daemons (\`slipway pool\` for details)
  verify IMAGE [--key FILE]      check the signed provenance Slipway stored beside an image
  webhook-secret gitlab ID       a new webhook secret for one GitLab project, printed once
  help                           this text; \`slipway COMMAND --help\` for one command
  version                        the version (also --version)

Configuration comes from environment variables; see docs/configuration.md.`;

const SERVE_HELP = `usage: slipway serve

Serves webhooks, Slack, the web UI, the registry's token endpoint and /healthz on HOST:PORT
(default 0.0.0.0:3000), runs pipelines (SLIPWAY_CONCURRENCY at once) and carries out approved
deploys, until SIGTERM or SIGINT. Without DATABASE_URL it starts an embedded PostgreSQL in
SLIPWAY_DATA_DIR. Every setting is an environment variable: see docs/configuration.md.`;

const WORKER_HELP = `usage: slipway worker

Runs pipelines and approved deploys without serving HTTP: start one per Docker host, all on
the same DATABASE_URL, beside one \`slipway serve\`. Needs SLIPWAY_CONCURRENCY of at least 1.`;

const MIGRATE_HELP = `usage: slipway migrate [--down] [--count N]

Applies the database migrations not yet applied (or reverts the last N with --down), then
exits. \`slipway serve\` and \`slipway worker\` migrate at start-up by themselves.`;

const HELP: Record<string, string> = {
  serve: SERVE_HELP,
  worker: WORKER_HELP,
  run: RUN_USAGE,
  migrate: MIGRATE_HELP,
  variables: VARIABLES_USAGE,
  pool: POOL_USAGE,
  verify: VERIFY_USAGE,
  'webhook-secret': WEBHOOK_SECRET_USAGE,
};

/** The version in package.json: one level above this file in the sources and in dist/ alike. */
function version(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

// Each command's modules load only when it runs: `slipway --help` or a usage error answers at once.
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  // `slipway serve --help` must explain, not start a server.
  if (command && Object.hasOwn(HELP, command) && rest.some((arg) => arg === '--help' || arg === '-h')) {
    console.log(HELP[command]);
    return;
  }
  switch (command) {
    case 'serve':
      return (await import('./commands/serve-command.js')).serveCommand({ http: true });
    case 'worker':
      return (await import('./commands/serve-command.js')).serveCommand({ http: false });
    case 'migrate':
      return (await import('./commands/migrate-command.js')).migrateCommand(rest);
    case 'variables':
      return (await import('./commands/variables-command.js')).variablesCommand(rest);
    case 'pool':
      process.exit(await (await import('./commands/pool-command.js')).poolCommand(rest));
    case 'verify':
      process.exit(await (await import('./commands/verify-command.js')).verifyCommand(rest));
    case 'webhook-secret':
      return (await import('./commands/webhook-secret-command.js')).webhookSecretCommand(rest);
    case 'run':
      // Exit explicitly: a canceled pipeline can leave sockets to its removed daemon open.
      process.exit(await (await import('./commands/run-command.js')).runCommand(rest));
    case 'version':
    case '--version':
    case '-v':
      console.log(`slipway ${version()}`);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(rest[0] && Object.hasOwn(HELP, rest[0]) ? HELP[rest[0]] : USAGE);
      return;
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof StartupError) {
    // EX_UNAVAILABLE: something Slipway needs is not there; the line says what to check.
    console.error(`slipway: ${error.message}`);
    process.exit(69);
  }
  if (error instanceof SecretKeyError) {
    console.error(`slipway: configuration error: ${error.message}`);
    process.exit(78);
  }
  if (error instanceof ConfigError || error instanceof PolicyFileError) {
    const problems = error instanceof ConfigError ? error.problems : [error.message];
    for (const problem of problems) console.error(`slipway: configuration error: ${problem}`);
    process.exit(78);
  }
  if (error instanceof UsageError) {
    console.error(`slipway: ${error.message}`);
    process.exit(64);
  }
  console.error(`slipway: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
