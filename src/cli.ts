#!/usr/bin/env node
import { ConfigError } from './config/load-config.js';
import { PolicyFileError } from './config/policy-file.js';
import { migrateCommand } from './commands/migrate-command.js';
import { poolCommand } from './commands/pool-command.js';
import { runCommand } from './commands/run-command.js';
import { serveCommand } from './commands/serve-command.js';
import { UsageError } from './commands/usage-error.js';
import { variablesCommand } from './commands/variables-command.js';
import { SecretKeyError } from './store/project-variable-store.js';

const USAGE = `usage: slipway <command>

commands:
  serve                          HTTP server, pipeline workers and deploy runner (what \`npm start\` runs)
  worker                         pipeline workers and deploy runner only (scale out: one per Docker host, one database)
  run [DIR] [--sha SHA] [--json] run the pipeline of a local checkout; exit 0 only if every job passed
  migrate [--down] [--count N]   apply (or revert) database migrations, then exit
  variables set|list|unset|rekey a project's CI/CD variables (\`slipway variables\` for details)
  pool status|seed|drain         the Docker host's pool of seeded dind daemons (\`slipway pool\` for details)
  help                           this text

Configuration comes from environment variables; see README.md.`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serveCommand({ http: true });
    case 'worker':
      return serveCommand({ http: false });
    case 'migrate':
      return migrateCommand(rest);
    case 'variables':
      return variablesCommand(rest);
    case 'pool':
      process.exit(await poolCommand(rest));
    case 'run':
      // Exit explicitly: a canceled pipeline can leave sockets to its removed daemon open.
      process.exit(await runCommand(rest));
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof SecretKeyError) {
    console.error(`slipway: configuration error: ${error.message}`);
    process.exit(78);
  }
  if (error instanceof ConfigError || error instanceof PolicyFileError) {
    const problems = error instanceof ConfigError ? error.problems : [error.message];
    for (const problem of problems) console.error(`slipway: configuration error: ${problem}`);
    process.exit(78);
  }
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    console.error(`slipway: ${error.message}`);
    process.exit(64);
  }
  console.error(`slipway: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
