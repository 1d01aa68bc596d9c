import type Docker from 'dockerode';
import { setTimeout } from 'node:timers/promises';

const EXEC_ATTEMPTS = 6;

/** Non-TTY output carries an 8-byte frame header per chunk (stream, 0, 0, 0, size); this drops them. */
export function demuxFrames(buffer: Buffer): string {
  const text: string[] = [];
  for (let offset = 0; offset + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(offset + 4);
    text.push(buffer.subarray(offset + 8, offset + 8 + size).toString('utf8'));
    offset += 8 + size;
  }
  return text.join('');
}

/** A container's last `lines` of output, stdout and stderr together; empty when it cannot be read. */
export async function lastLogLines(container: Docker.Container, lines: number): Promise<string> {
  const buffer = (await container.logs({ stdout: true, stderr: true, tail: lines }).catch(() => Buffer.alloc(0))) as Buffer;
  return demuxFrames(buffer).trimEnd();
}

/** Runs `command` in a running container and resolves with what it printed. */
export async function execOutput(container: Docker.Container, command: string[]): Promise<string> {
  // dockerd may finish a quick command and close the connection before Node has written the
  // whole start request (EPIPE); on a loaded host that happens several times running. The
  // command is only ever a read, so it is run again, a little later each time.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await execOnce(container, command);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt >= EXEC_ATTEMPTS || (code !== 'EPIPE' && code !== 'ECONNRESET')) throw error;
      await setTimeout(25 * 2 ** attempt);
    }
  }
}

async function execOnce(container: Docker.Container, command: string[]): Promise<string> {
  const exec = await container.exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  // A plain streamed response, not a hijacked connection: a command that ends at once can close
  // a hijacked socket while the request is still being written (EPIPE).
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  return demuxFrames(Buffer.concat(chunks));
}
