import type { Config } from '../config/load-config.js';

/** `postgres://user:secret@db:5432/slipway` -> `db:5432/slipway`: where, never who or the password. */
function databaseWhere(config: Config): string {
  if (!config.database.url) return `embedded in ${config.database.dataDir} (port ${config.database.embeddedPort})`;
  const url = new URL(config.database.url);
  return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

/** One host: its address; several: each with its capacity and tags. */
function dockerHosts(config: Config): string {
  const { hosts } = config.docker;
  if (hosts.length === 1 && hosts[0]!.tags.length === 0) return hosts[0]!.url;
  return hosts.map((host) => `${host.name} (${host.url}) ×${host.capacity}${host.tags.length ? ` [${host.tags.join(', ')}]` : ''}`).join(', ');
}

/**
 * What this process was configured to do, for the first log line: an operator reading the log
 * sees which forges, chat, registry and Docker it uses without asking. No secret is in it.
 */
export function configSummary(config: Config, roles: { http: boolean; workers: boolean }) {
  return {
    listen: roles.http ? `${config.host}:${config.port}` : 'no (worker)',
    publicUrl: config.publicUrl,
    database: databaseWhere(config),
    forges: [...(config.github ? [`github${config.github.gheHost ? ` (${config.github.gheHost})` : ''}`] : []), ...(config.gitlab ? [`gitlab (${config.gitlab.url})`] : [])],
    webLogins: [...(config.github?.login ? ['github'] : []), ...(config.gitlab?.login ? ['gitlab'] : []), ...(config.adminToken ? ['admin token'] : [])],
    slack: config.slack ? `workspace ${config.slack.teamId}` : 'off',
    registry: `${config.registry.host}${config.registry.token ? ' (Slipway issues its tokens)' : config.registry.user ? ` (as ${config.registry.user})` : ''}`,
    docker: roles.workers ? dockerHosts(config) : 'not used (no workers)',
    dind: roles.workers ? `${config.docker.dind.image} on ${config.docker.dind.network} network${config.docker.dind.privileged ? ', privileged' : ''}` : undefined,
    pool: roles.workers && config.docker.pool.size > 0 && config.docker.hosts.some((host) => host.connect === 'socket') ? `${config.docker.pool.size} seeded daemons per host reached by socket` : 'off',
    dindConnect: roles.workers ? [...new Set(config.docker.hosts.map((host) => (host.connect === 'tls' ? `TLS, at ${host.reachAt}` : `socket under ${config.docker.dind.socketDir}`)))].join('; ') : undefined,
    concurrency: roles.workers ? config.concurrency : 0,
    perProject: config.maxPipelinesPerProject === 0 ? 'no cap (fewest running first)' : `at most ${config.maxPipelinesPerProject} running`,
    policy: config.policyFile ?? 'none',
    variables: config.secretKey ? 'encrypted (SLIPWAY_SECRET_KEY set)' : 'off (no SLIPWAY_SECRET_KEY)',
  };
}
