import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectVariableStore } from '../../src/store/project-variable-store.js';
import { createVariableCipher } from '../../src/variables/variable-cipher.js';
import { finished, spawnCli, type CliResult } from '../helpers/cli.js';
import { createMigratedDatabase, type MigratedDatabase } from '../helpers/database.js';

const KEY = randomBytes(32).toString('base64');
const OTHER_KEY = randomBytes(32).toString('base64');

/** `slipway ARGS` with `input` on standard input. */
function slipway(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliResult> {
  const child = spawnCli(args, { LOG_LEVEL: 'warn', ...env });
  child.stdin.end(input);
  return finished(child);
}

describe('slipway variables', () => {
  let database: MigratedDatabase;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    database = await createMigratedDatabase();
    env = { DATABASE_URL: database.url, SLIPWAY_SECRET_KEY: KEY };
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('stores values from standard input, lists names and settings only, and unsets', async () => {
    const token = `tok-${randomBytes(12).toString('hex')}`;
    const certificate = `-----BEGIN CERTIFICATE-----\n${randomBytes(30).toString('base64')}\n-----END CERTIFICATE-----\n`;

    expect(await slipway(['variables', 'set', 'group/app', 'DEPLOY_TOKEN', '--masked', '--protected'], env, `${token}\n`)).toMatchObject({ code: 0, stdout: 'set DEPLOY_TOKEN for group/app\n' });
    expect((await slipway(['variables', 'set', 'group/app', 'CA_CERT', '--file'], env, certificate)).code).toBe(0);
    expect((await slipway(['variables', 'set', 'group/app', 'DATABASE_URL', '--environment', 'prod'], env, 'postgres://prod')).code).toBe(0);

    const listed = await slipway(['variables', 'list', 'group/app'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n').map((line) => line.split(/\s+/).slice(0, 5).join(' '))).toEqual([
      'NAME ENVIRONMENT MASKED PROTECTED FILE',
      'CA_CERT * - - yes',
      'DATABASE_URL prod - - -',
      'DEPLOY_TOKEN * yes yes -',
      '',
    ]);
    expect(listed.stdout).not.toContain(token);

    const store = createProjectVariableStore(database.pool, createVariableCipher(Buffer.from(KEY, 'base64')));
    const values = Object.fromEntries((await store.forProject('group/app')).map((variable) => [variable.name, variable.value]));
    // One trailing newline is dropped from a plain value; a file keeps its bytes.
    expect(values).toEqual({ CA_CERT: certificate, DATABASE_URL: 'postgres://prod', DEPLOY_TOKEN: token });

    // What anyone with psql sees: ciphertext, never a value.
    const { stdout: table } = await promisify(execFile)('psql', [database.url, '-Atc', 'SELECT *, encode(ciphertext, $$escape$$) FROM project_variables']);
    expect(table).toContain('DEPLOY_TOKEN');
    for (const value of [token, certificate.split('\n')[1]!, 'postgres://prod']) expect(table).not.toContain(value);

    expect((await slipway(['variables', 'unset', 'group/app', 'DATABASE_URL', '--environment', 'prod'], env)).stdout).toBe('unset DATABASE_URL for group/app (environment prod)\n');
    const again = await slipway(['variables', 'unset', 'group/app', 'DATABASE_URL', '--environment', 'prod'], env);
    expect([again.code, again.stderr]).toEqual([64, 'slipway: group/app has no variable DATABASE_URL for environment prod: `slipway variables list group/app` shows what it has\n']);
  });

  const refusals: Array<[string[], string, string]> = [
    [['set', 'group/app', '1TOKEN'], 'value', 'slipway: "1TOKEN" is not a variable name: use letters, digits and _, not starting with a digit'],
    [['set', 'group/app', 'CI_JOB_TOKEN'], 'value', 'slipway: CI_JOB_TOKEN is set by Slipway for every job (names starting CI_, GITLAB_ or SLIPWAY_ are reserved): choose another name'],
    [['set', 'group/app', 'PIN', '--masked'], '1234', 'slipway: a masked value must be at least 8 characters: PIN is shorter (store it without --masked, or use a longer value)'],
    [['set', 'group/app', 'KEY', '--masked'], 'line one\nline two\n', 'slipway: a masked value must be one line: KEY has line breaks (store it with --file and without --masked, or as one line)'],
    [['set', 'group/app', 'EMPTY'], '', 'slipway: no value on standard input: pipe it in, such as printf %s "$VALUE" | slipway variables set group/app EMPTY'],
    [['set', 'group/app', 'URL', '--environment', 'Prod'], 'x', 'slipway: "Prod" is not an environment name: use lower-case letters, digits, ., - and _'],
    [['set', 'group app', 'URL'], 'x', 'slipway: "group app" is not a project: write it as the forge names it, such as group/app'],
  ];
  it('refuses a bad name, a reserved name, a short or multi-line masked value, no value, a bad environment or project, with one line naming what to fix', async () => {
    // Side by side: each is a process of its own, and they touch nothing in common.
    const results = await Promise.all(refusals.map(([args, input]) => slipway(['variables', ...args], env, input)));
    expect(results.map((result) => [result.code, result.stderr])).toEqual(refusals.map(([, , message]) => [64, `${message}\n`]));
  });

  it('refuses to start without the key, or with another one, and re-encrypts under a new key', async () => {
    await slipway(['variables', 'set', 'group/app', 'API_TOKEN'], env, 'api-token-value');
    const withoutKey = { DATABASE_URL: database.url, SLIPWAY_SECRET_KEY: '' };
    const withOtherKey = { DATABASE_URL: database.url, SLIPWAY_SECRET_KEY: OTHER_KEY };

    const missing = await slipway(['serve'], { ...withoutKey, PORT: '0' });
    expect(missing.code).toBe(78);
    expect(missing.stderr).toMatch(/^slipway: configuration error: SLIPWAY_SECRET_KEY is not set, but \d+ CI\/CD variable\(s\) are stored encrypted: set the key they were stored with\n$/);
    const wrong = await slipway(['serve'], { ...withOtherKey, PORT: '0' });
    expect(wrong.code).toBe(78);
    expect(wrong.stderr).toMatch(/^slipway: configuration error: SLIPWAY_SECRET_KEY is not the key \d+ stored CI\/CD variable\(s\) were encrypted with: .*slipway variables rekey/);
    const malformed = await slipway(['serve'], { DATABASE_URL: database.url, SLIPWAY_SECRET_KEY: 'hunter2' });
    expect([malformed.code, malformed.stderr]).toEqual([78, 'slipway: configuration error: SLIPWAY_SECRET_KEY must be 32 random bytes in base64 or hex: make one with `openssl rand -base64 32`\n']);
    expect(malformed.stderr).not.toContain('hunter2');
    // Listing needs no key: it shows no value.
    expect((await slipway(['variables', 'list', 'group/app'], withoutKey)).code).toBe(0);

    const rekeyed = await slipway(['variables', 'rekey'], env, `${OTHER_KEY}\n`);
    expect(rekeyed.stdout).toMatch(/^re-encrypted \d+ variable\(s\): start Slipway with the new SLIPWAY_SECRET_KEY now\n$/);
    const store = createProjectVariableStore(database.pool, createVariableCipher(Buffer.from(OTHER_KEY, 'base64')));
    await expect(store.checkKey()).resolves.toBeUndefined();
    expect((await store.forProject('group/app')).find((variable) => variable.name === 'API_TOKEN')?.value).toBe('api-token-value');
    await expect(createProjectVariableStore(database.pool, createVariableCipher(Buffer.from(KEY, 'base64'))).checkKey()).rejects.toThrow(/is not the key/);
  });

  it('does not decrypt a value moved to another variable’s row', async () => {
    const store = createProjectVariableStore(database.pool, createVariableCipher(randomBytes(32)));
    await database.pool.query('DELETE FROM project_variables');
    await store.set('group/app', { name: 'PUBLIC_NAME', value: 'harmless', masked: false, protected: false, file: false, environment: '' });
    await store.set('group/app', { name: 'PROD_PASSWORD', value: 'the-prod-password', masked: true, protected: true, file: false, environment: 'prod' });
    await database.pool.query(
      `UPDATE project_variables SET (ciphertext, nonce) = (SELECT ciphertext, nonce FROM project_variables WHERE name = 'PROD_PASSWORD') WHERE name = 'PUBLIC_NAME'`,
    );
    await expect(store.forProject('group/app')).rejects.toThrow(/unable to authenticate data/);
  });
});
