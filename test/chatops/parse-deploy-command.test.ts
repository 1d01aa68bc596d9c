import { describe, expect, it } from 'vitest';
import { parseDeployCommand } from '../../src/chatops/parse-deploy-command.js';

describe('the /deploy grammar', () => {
  it.each([
    ['a1b2c3d prod', { kind: 'request', sha: 'a1b2c3d', environment: 'prod', dryRun: false }],
    ['  A1B2C3D4E5   staging ', { kind: 'request', sha: 'a1b2c3d4e5', environment: 'staging', dryRun: false }],
    ['a1b2c3d prod dry-run', { kind: 'request', sha: 'a1b2c3d', environment: 'prod', dryRun: true }],
    ['status', { kind: 'status' }],
    ['status prod', { kind: 'status', environment: 'prod' }],
    ['history prod', { kind: 'history', environment: 'prod' }],
    ['rollback group/app:prod', { kind: 'rollback', environment: 'group/app:prod' }],
    ['stop review', { kind: 'stop', environment: 'review' }],
    ['STOP group/app:prod', { kind: 'stop', environment: 'group/app:prod' }],
    ['lock prod incident 4711 in progress', { kind: 'lock', environment: 'prod', reason: 'incident 4711 in progress', forSeconds: null }],
    ['lock prod database migration for 2h', { kind: 'lock', environment: 'prod', reason: 'database migration', forSeconds: 7200 }],
    ['lock prod waiting for 30m', { kind: 'lock', environment: 'prod', reason: 'waiting', forSeconds: 1800 }],
    ['lock prod closed for real', { kind: 'lock', environment: 'prod', reason: 'closed for real', forSeconds: null }],
    ['unlock prod', { kind: 'unlock', environment: 'prod' }],
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
  ])('reads %j', (text, command) => {
    expect(parseDeployCommand(text)).toEqual(command);
  });

  it.each([
    ['a1b2c3d', 'which environment? usage: /deploy <sha> <env>'],
    ['a1b2c3d prod now', 'too many words: usage: /deploy <sha> <env> [dry-run]'],
    ['abc prod', '"abc" is not a commit SHA (7 to 40 hex characters) or a command; try /deploy help'],
    ['lock prod', 'usage: /deploy lock <env> <reason> [for 2h]: say why, so others know'],
    ['lock prod for 2h', 'usage: /deploy lock <env> <reason> [for 2h]: say why, so others know'],
    ['lock prod freeze for 100d', 'a lock lasts from 1s to 90d: /deploy lock <env> <reason> for 2h'],
    ['lock prod freeze for 0s', 'a lock lasts from 1s to 90d: /deploy lock <env> <reason> for 2h'],
    ['history', 'usage: /deploy history <env>'],
    ['rollback prod staging', 'usage: /deploy rollback <env>'],
    ['stop', 'usage: /deploy stop <env>'],
    ['stop prod now', 'usage: /deploy stop <env>'],
    ['status a b', 'usage: /deploy status [env]'],
  ])('explains what it expected for %j', (text, message) => {
    expect(parseDeployCommand(text)).toEqual({ kind: 'invalid', message });
  });
});
