import Docker from 'dockerode';

/**
 * A Docker Engine client for `DOCKER_HOST` (unix:// or tcp://), or Docker's own default socket.
 * Every request asks for its own connection (`Connection: close`): a kept-alive socket the daemon
 * has just closed (after a streamed answer) would fail the next request with EPIPE before the
 * daemon ever saw it. Hijacked requests (attach, exec) still ask for their upgrade.
 */
export function createDockerClient(dockerHost?: string, tls?: ClientTls): Docker {
  const headers = { Connection: 'close' };
  if (!dockerHost) return new Docker({ socketPath: '/var/run/docker.sock', headers });
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname, headers });
  // With TLS the client proves itself with its certificate and trusts only the given CA (2376, Docker's TLS port).
  if (tls) return new Docker({ host: url.hostname, port: Number(url.port) || 2376, protocol: 'https', ca: tls.ca, cert: tls.cert, key: tls.key, headers });
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return new Docker({ host: url.hostname, port: Number(url.port) || 2375, protocol, headers });
}

/** PEM texts: the CA the daemon's certificate must chain to, and the client's own pair. */
export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

export function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 404;
}

/** Removes a container with its anonymous volumes; one already gone is no error. */
export async function removeContainer(container: Docker.Container): Promise<void> {
  await container.remove({ force: true, v: true }).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
}
