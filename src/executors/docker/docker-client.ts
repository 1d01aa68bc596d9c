import Docker from 'dockerode';

/**
 * A Docker Engine client for `DOCKER_HOST` (unix:// or tcp://), or Docker's own default socket.
 * Every request asks for its own connection (`Connection: close`): a kept-alive socket the daemon
 * has just closed (after a streamed answer) would fail the next request with EPIPE before the
 * daemon ever saw it. Hijacked requests (attach, exec) still ask for their upgrade.
 */
export function createDockerClient(dockerHost?: string, tls?: ClientTls): Docker {
  return resendUnread(connect(dockerHost, tls));
}

function connect(dockerHost: string | undefined, tls: ClientTls | undefined): Docker {
  const headers = { Connection: 'close' };
  if (!dockerHost) return new Docker({ socketPath: '/var/run/docker.sock', headers });
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname, headers });
  // With TLS the client proves itself with its certificate and trusts only the given CA (2376, Docker's TLS port).
  if (tls) return new Docker({ host: url.hostname, port: Number(url.port) || 2376, protocol: 'https', ca: tls.ca, cert: tls.cert, key: tls.key, headers });
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return new Docker({ host: url.hostname, port: Number(url.port) || 2375, protocol, headers });
}

interface DialOptions {
  path?: string;
  method?: string;
  options?: Record<string, unknown>;
  file?: unknown;
  hijack?: boolean;
}

/** Requests that do the same however often they are sent: reading, and tagging an image. */
const sameAgain = (options: DialOptions) => options.method === 'GET' || options.method === 'HEAD' || (options.method === 'POST' && /^\/images\/.+\/tag\?/.test(options.path ?? ''));
type DialCallback = (error: (Error & { code?: string }) | null, result?: unknown) => void;

/** How long to wait before each sending again: the daemon's hang-ups come in a burst of under a second. */
const RESEND_AFTER_MS = [50, 250, 1000];

/**
 * A request that ended in EPIPE (seen on fresh connections in the moment after a build) is
 * sent again, a few times, when sending it twice does no harm: a read, or a tag. EPIPE does not
 * say the daemon did not act (it may have answered before the request's last bytes were
 * written, as a rename did), so nothing else is ever sent again, nor a request with a body.
 */
export function resendUnread(docker: Docker): Docker {
  const modem = docker.modem as unknown as { dial(options: DialOptions, callback: DialCallback): void };
  const dial = modem.dial.bind(modem);
  // dial() deletes credentials from what it is given: each attempt gets its own copy.
  const copy = (options: DialOptions): DialOptions => ({ ...options, ...(options.options ? { options: { ...options.options } } : {}) });
  modem.dial = (options, callback) => {
    const resendable = options.file === undefined && options.hijack !== true && sameAgain(options);
    const attempt = (waited: readonly number[]) =>
      dial(copy(options), (error, result) => {
        if (error?.code !== 'EPIPE' || !resendable || waited.length === 0) return callback(error, result);
        setTimeout(() => attempt(waited.slice(1)), waited[0]);
      });
    attempt(RESEND_AFTER_MS);
  };
  return docker;
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
