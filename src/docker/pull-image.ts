import type Docker from 'dockerode';
import { followProgress } from './follow-progress.js';

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** Pulls `image` into `docker`; resolves once every layer is there, rejects with the daemon's reason. */
export async function pullImage(docker: Docker, image: string, signal: AbortSignal, auth?: RegistryAuth): Promise<void> {
  const reference = /[:@]/.test(image.split('/').pop() ?? '') ? image : `${image}:latest`;
  const stream = (await docker.pull(reference, { abortSignal: signal, ...(auth ? { authconfig: auth } : {}) })) as NodeJS.ReadableStream;
  await followProgress(docker, stream, undefined, signal);
}
