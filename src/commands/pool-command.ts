import { spawn } from 'node:child_process';
import { loadConfig } from '../config/load-config.js';
import { createExecutor, poolAdmin } from '../executors/create-executor.js';
import { resolveInstallationId } from '../wiring/installation.js';
import { UsageError } from './usage-error.js';
import { parseCommandArgs } from './parse-command-args.js';
import { POOL_USAGE } from './command-usage.js';

/**
 * Seeds the next daemon for `slipway run` in a process of its own that outlives the run, as
 * `git gc --auto` detaches: the run's result is not held back by seeding.
 */
export function seedInBackground(request: { affinity: string; seeds: string[]; installation: string }): void {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'pool', 'seed', request.affinity, ...request.seeds], {
    detached: true,
    stdio: 'ignore',
    // The seeder's daemons are the run's installation's, whatever database it could open.
    env: { ...process.env, SLIPWAY_INSTALLATION_ID: request.installation },
  });
  child.on('error', () => undefined);
  child.unref();
}

function age(createdMs: number): string {
  const seconds = Math.round((Date.now() - createdMs) / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

/** `slipway pool …`: look at, fill or empty the Docker host's pool of seeded dind daemons. */
export async function poolCommand(args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs('pool', args, { allowPositionals: true, options: {} });
  const [action, ...rest] = positionals;
  const config = loadConfig();
  const installation = await resolveInstallationId(config, undefined);
  const pool = poolAdmin(config, installation);
  switch (action) {
    case 'status': {
      if (rest.length > 0) throw new UsageError(POOL_USAGE);
      const members = await pool.members();
      if (members.length === 0) console.log(`The pool is empty (SLIPWAY_POOL_SIZE=${config.docker.pool.size}).`);
      for (const member of members) {
        console.log(`${member.name}  ${member.state}${member.running ? '' : ' (stopped)'}  ${member.affinity}  ${age(member.createdMs)} old  seeds: ${member.seeds.join(' ') || 'none'}`);
      }
      return 0;
    }
    case 'seed': {
      const [affinity, ...seeds] = rest;
      if (!affinity || seeds.length === 0) throw new UsageError(`pool seed needs a project affinity and at least one image\n\n${POOL_USAGE}`);
      if (config.docker.pool.size === 0) throw new UsageError('the pool is off: set SLIPWAY_POOL_SIZE to the number of daemons to keep ready');
      const executor = createExecutor(config, { installation, poolHandOff: () => undefined });
      const seeded = await executor.pool!.seed(affinity, seeds);
      if (!seeded) console.log(`No room in the pool for ${affinity}: it has its share (SLIPWAY_POOL_PER_PROJECT) or every daemon is claimed.`);
      return 0;
    }
    case 'drain': {
      if (rest.length > 0) throw new UsageError(POOL_USAGE);
      const removed = await pool.drain();
      console.log(`Removed ${removed} pool daemon${removed === 1 ? '' : 's'}.`);
      return 0;
    }
    default:
      throw new UsageError(action === undefined ? POOL_USAGE : `unknown pool action "${action}"\n\n${POOL_USAGE}`);
  }
}
