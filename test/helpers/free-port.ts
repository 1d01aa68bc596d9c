import net from 'node:net';

/**
 * A TCP port for a server a test starts on a port of its choosing (embedded PostgreSQL), with
 * `port + 1` free too. Picked below Linux's ephemeral range (32768 up), where no outgoing
 * connection of a test running beside it can take the port between the check and the start or
 * across a restart, and checked free on 127.0.0.1 now.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if ((await isFree(port)) && (await isFree(port + 1))) return port;
  }
  throw new Error('no free port below 32000 after 50 tries');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
