import { loadConfig } from '../config/load-config.js';
import { migrate } from '../store/migrate.js';
import { openDatabase } from '../store/open-database.js';
import { createPool } from '../store/pool.js';
import { createProjectVariableStore, type ProjectVariableStore } from '../store/project-variable-store.js';
import { createLogger } from '../telemetry/logger.js';
import { createVariableCipher } from '../variables/variable-cipher.js';
import { parseSecretKey } from '../config/secret-key.js';
import { checkProjectName, checkVariable } from '../variables/variable-rules.js';
import { UsageError } from './usage-error.js';
import { parseCommandArgs } from './parse-command-args.js';
import { VARIABLES_USAGE } from './command-usage.js';

async function readStandardInput(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Type the value, then Ctrl-D on a line of its own.\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

async function withStore<T>(work: (store: ProjectVariableStore) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase(config, createLogger('warn'));
  const pool = createPool(database.url, 2);
  try {
    await migrate(database.url);
    return await work(createProjectVariableStore(pool, config.secretKey ? createVariableCipher(config.secretKey) : undefined));
  } finally {
    await pool.end();
    await database.stop();
  }
}

/** `slipway variables …`: a project's CI/CD variables, with values kept out of argv and shell history. */
export async function variablesCommand(args: string[]): Promise<void> {
  const { positionals, values } = parseCommandArgs('variables', args, {
    allowPositionals: true,
    options: { masked: { type: 'boolean' }, protected: { type: 'boolean' }, file: { type: 'boolean' }, environment: { type: 'string' } },
  });
  const [action, project, name, ...extra] = positionals;
  const expected = { set: 3, unset: 3, list: 2, rekey: 1 }[action as 'set'] as number | undefined;
  if (expected === undefined) throw new UsageError(action === undefined ? VARIABLES_USAGE : `unknown variables action "${action}"\n\n${VARIABLES_USAGE}`);
  if (positionals.length !== expected || extra.length > 0) throw new UsageError(VARIABLES_USAGE);
  const projectCheck = project === undefined ? { ok: true as const } : checkProjectName(project);
  if (!projectCheck.ok) throw new UsageError(projectCheck.reason);
  const environment = values.environment ?? '';

  switch (action) {
    case 'set': {
      const input = await readStandardInput();
      const value = values.file ? input : input.replace(/\r?\n$/, '');
      if (value.length === 0) throw new UsageError(`no value on standard input: pipe it in, such as printf %s "$VALUE" | slipway variables set ${project} ${name}`);
      const variable = { name: name!, value, masked: values.masked ?? false, protected: values.protected ?? false, file: values.file ?? false, environment };
      const check = checkVariable(variable);
      if (!check.ok) throw new UsageError(check.reason);
      await withStore((store) => store.set(project!, variable));
      console.log(`set ${name} for ${project}${environment ? ` (environment ${environment})` : ''}`);
      return;
    }
    case 'unset': {
      const removed = await withStore((store) => store.unset(project!, name!, environment));
      if (!removed) throw new UsageError(`${project} has no variable ${name}${environment ? ` for environment ${environment}` : ''}: \`slipway variables list ${project}\` shows what it has`);
      console.log(`unset ${name} for ${project}${environment ? ` (environment ${environment})` : ''}`);
      return;
    }
    case 'list': {
      const variables = await withStore((store) => store.list(project!));
      if (variables.length === 0) return console.log(`${project} has no CI/CD variables`);
      const yes = (flag: boolean) => (flag ? 'yes' : '-');
      console.log(
        table([
          ['NAME', 'ENVIRONMENT', 'MASKED', 'PROTECTED', 'FILE', 'UPDATED'],
          ...variables.map((variable) => [variable.name, variable.environment || '*', yes(variable.masked), yes(variable.protected), yes(variable.file), variable.updatedAt.toISOString()]),
        ]),
      );
      return;
    }
    case 'rekey': {
      const next = parseSecretKey((await readStandardInput()).trim(), 'the new key on standard input');
      if (!next.ok) throw new UsageError(next.reason);
      const count = await withStore((store) => store.rekey(createVariableCipher(next.key)));
      console.log(`re-encrypted ${count} variable(s): start Slipway with the new SLIPWAY_SECRET_KEY now`);
      return;
    }
  }
}
