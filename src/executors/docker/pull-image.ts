import type Docker from 'dockerode';
import { splitTag } from '../../registry/image-reference.js';
import { followProgress } from './follow-progress.js';

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** Pulls `image` into `docker`; resolves once every layer is there, rejects with the daemon's reason. */
export async function pullImage(docker: Docker, image: string, signal: AbortSignal, auth?: RegistryAuth): Promise<void> {
  const { repo, tag } = splitTag(image);
  const reference = image.includes('@') ? image : `${repo}:${tag}`;
  const stream = (await docker.pull(reference, { abortSignal: signal, ...(auth ? { authconfig: auth } : {}) })) as NodeJS.ReadableStream;
  await followProgress(docker, stream, undefined, signal);
}
