import type Docker from 'dockerode';
import { splitTag } from '../../registry/image-reference.js';
import { followProgress } from './follow-progress.js';

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** Errors of the connection itself, before the daemon answered: the request never reached it. */
const CONNECTION_LOST = new Set(['EPIPE', 'ECONNRESET']);
/** How often a pull whose request was lost is asked again. */
export const PULL_REQUEST_ATTEMPTS = 3;

/**
 * Pulls `image` into `docker`; resolves once every layer is there, rejects with the daemon's
 * reason. A request the daemon's socket dropped before answering (now and then, under load) is
 * sent again: a pull is idempotent, and nothing of it had started.
 */
export async function pullImage(docker: Docker, image: string, signal: AbortSignal, auth?: RegistryAuth): Promise<void> {
  const { repo, tag } = splitTag(image);
  const reference = image.includes('@') ? image : `${repo}:${tag}`;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const stream = (await docker.pull(reference, { abortSignal: signal, ...(auth ? { authconfig: auth } : {}) })) as NodeJS.ReadableStream;
      return void (await followProgress(docker, stream, undefined, signal));
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (signal.aborted || attempt >= PULL_REQUEST_ATTEMPTS || typeof code !== 'string' || !CONNECTION_LOST.has(code)) throw error;
    }
  }
}
