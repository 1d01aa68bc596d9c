import type { Config } from '../config/load-config.js';
import { StartupError } from '../util/startup-error.js';

/** Start-up failures of the database, Docker and the listening socket, translated into StartupErrors. */

const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/** The first line: OpenSSL's messages run over several. */
const messageOf = (error: unknown) => (error instanceof Error && error.message ? error.message : String(error)).split('\n')[0]!.trim();

/** Why a connection failed, as a person would say it. */
function networkReason(error: unknown): string | undefined {
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'no such host',
    EAI_AGAIN: 'the host name did not resolve',
    ETIMEDOUT: 'timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ECONNRESET: 'the connection was reset',
    ENOENT: 'no such socket',
    EACCES: 'permission denied',
  };
  const code = codeOf(error);
  if (code && reasons[code]) return reasons[code];
  // pg wraps a connect() timeout in its own error.
  if (/timeout/i.test(messageOf(error))) return 'timed out';
  return undefined;
}

/** `postgres://user:secret@host:5432/db` -> `host:5432`, never the password. */
function databaseAddress(url: string): { where: string; user: string; database: string } {
  try {
    const parsed = new URL(url);
    return { where: `${parsed.hostname}:${parsed.port || '5432'}`, user: decodeURIComponent(parsed.username), database: parsed.pathname.slice(1) || parsed.username };
  } catch {
    return { where: 'DATABASE_URL', user: '', database: '' };
  }
}

/** Where the database is, for a message: DATABASE_URL, or where the embedded one listens. */
export function databaseUrlOf(config: Config): string {
  return config.database.url ?? `postgres://slipway@127.0.0.1:${config.database.embeddedPort}/postgres`;
}

export function databaseFailure(error: unknown, url: string, embedded: boolean): StartupError {
  if (error instanceof StartupError) return error;
  const { where, user, database } = databaseAddress(url);
  const setting = embedded ? 'the embedded database (SLIPWAY_DATA_DIR, SLIPWAY_EMBEDDED_PG_PORT)' : 'DATABASE_URL';
  const code = codeOf(error);
  if (code === '28P01') return new StartupError(`PostgreSQL at ${where} refused the password for user "${user}": check the user and password in ${setting}`, { cause: error });
  if (code === '28000') return new StartupError(`PostgreSQL at ${where} does not let user "${user}" in (${messageOf(error)}): check the user in ${setting} and pg_hba.conf`, { cause: error });
  if (code === '3D000') return new StartupError(`PostgreSQL at ${where} has no database "${database}": create it, or name another in ${setting}`, { cause: error });
  const reason = networkReason(error);
  if (reason) return new StartupError(`cannot reach PostgreSQL at ${where} (${reason}): check ${setting} and that PostgreSQL is running`, { cause: error });
  return new StartupError(`PostgreSQL at ${where}: ${messageOf(error)}`, { cause: error });
}

export function dockerFailure(error: unknown, dockerHost: string): StartupError {
  if (error instanceof StartupError) return error;
  const code = codeOf(error);
  const message = messageOf(error);
  if (code === 'EACCES') return new StartupError(`may not use Docker at ${dockerHost} (permission denied): run Slipway as a member of the docker group, or point DOCKER_HOST elsewhere`, { cause: error });
  // OpenSSL's alert from the daemon: it did not take the client certificate.
  const alert = /alert ([a-z ]+?)(?::|$)/m.exec(message)?.[1];
  if (alert) return new StartupError(`Docker at ${dockerHost} refused Slipway's client certificate (${alert}): check that DOCKER_CERT_PATH's cert.pem and key.pem were issued by the CA that daemon trusts`, { cause: error });
  if (code && /CERT|SIGNATURE|SELF_SIGNED|ALTNAME|ERR_TLS|ERR_SSL/.test(code)) {
    return new StartupError(`Docker at ${dockerHost} showed a certificate Slipway does not trust (${code}): check that DOCKER_CERT_PATH's ca.pem signed it and that it names the host in DOCKER_HOST`, { cause: error });
  }
  const reason = networkReason(error);
  if (reason) return new StartupError(`cannot reach Docker at ${dockerHost} (${reason}): check DOCKER_HOST and that Docker is running`, { cause: error });
  return new StartupError(`Docker at ${dockerHost} failed: ${message}: check DOCKER_HOST`, { cause: error });
}

export function listenFailure(error: unknown, host: string, port: number): StartupError {
  const code = codeOf(error);
  if (code === 'EADDRINUSE') return new StartupError(`port ${port} on ${host} is already in use: stop what listens there, or set PORT`, { cause: error });
  if (code === 'EACCES') return new StartupError(`may not listen on port ${port} on ${host} (permission denied): use a port above 1023, or set PORT`, { cause: error });
  if (code === 'EADDRNOTAVAIL') return new StartupError(`${host} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0`, { cause: error });
  return new StartupError(`cannot listen on ${host}:${port}: ${messageOf(error)}`, { cause: error });
}
