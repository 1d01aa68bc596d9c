import path from 'node:path';
import type Docker from 'dockerode';
import { JobError, type BuildOutcome, type BuildTarget } from '../../pipeline/executor.js';
import { splitTag } from '../../registry/image-reference.js';
import { followProgress, type ProgressEvent } from './follow-progress.js';
import { pullImage, type RegistryAuth } from './pull-image.js';
import { packSource } from './source-archive.js';

export interface BuildOptions {
  contextDir: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  target: BuildTarget;
  network: string;
  auth: RegistryAuth | undefined;
  signal: AbortSignal;
  output(text: string): void;
}

const STEP = /^Step (\d+)\/(\d+) :/m;
const CACHE_HIT = /^ ---> Using cache$/m;

/** Pulls what exists of the cache candidates; a missing one only means a colder build. */
async function pullCacheImages(docker: Docker, options: BuildOptions): Promise<string[]> {
  const present: string[] = [];
  for (const candidate of options.target.cacheFrom) {
    try {
      await pullImage(docker, candidate, options.signal, options.auth);
      options.output(`Using ${candidate} as build cache\n`);
      present.push(candidate);
    } catch (error) {
      options.signal.throwIfAborted();
      const reason = error instanceof Error ? error.message : String(error);
      options.output(/manifest unknown|not found/i.test(reason) ? `No cache from ${candidate}: not in the registry yet\n` : `No cache from ${candidate}: ${reason}\n`);
    }
  }
  return present;
}

async function build(docker: Docker, options: BuildOptions, cacheFrom: string[], reference: string) {
  let totalSteps = 0;
  let cachedSteps = 0;
  const stream = (await docker.buildImage(packSource(path.resolve(options.contextDir)), {
    t: reference,
    dockerfile: options.dockerfile,
    cachefrom: JSON.stringify(cacheFrom),
    buildargs: options.buildArgs,
    networkmode: options.network,
    rm: true,
    forcerm: true,
    abortSignal: options.signal,
  })) as NodeJS.ReadableStream;
  await followProgress(
    docker,
    stream,
    (event: ProgressEvent) => {
      if (!event.stream) return;
      options.output(event.stream);
      const step = STEP.exec(event.stream);
      if (step) totalSteps = Number(step[2]);
      if (CACHE_HIT.test(event.stream)) cachedSteps += 1;
    },
    options.signal,
  ).catch((error: unknown) => {
    if (options.signal.aborted) throw error;
    throw new JobError(`docker build failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  return { totalSteps, cachedSteps };
}

async function push(docker: Docker, reference: string, options: BuildOptions): Promise<string | null> {
  const { repo, tag } = splitTag(reference);
  options.output(`Pushing ${reference}\n`);
  const stream = (await docker.getImage(repo).push({ tag, abortSignal: options.signal, ...(options.auth ? { authconfig: options.auth } : {}) })) as NodeJS.ReadableStream;
  let digest: string | null = null;
  await followProgress(
    docker,
    stream,
    (event) => {
      if (event.aux?.Digest) digest = event.aux.Digest;
    },
    options.signal,
  ).catch((error: unknown) => {
    if (options.signal.aborted) throw error;
    throw new JobError(`could not push ${reference}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  return digest;
}

/**
 * Builds with the classic builder and `cachefrom`, tags the SHA, branch and (on the default
 * branch) `latest`, and pushes them. The digest reported is the SHA tag's.
 */
export async function buildAndPush(docker: Docker, options: BuildOptions): Promise<BuildOutcome> {
  const { repository, tags } = options.target;
  const [shaTag, ...otherTags] = tags;
  const reference = `${repository}:${shaTag}`;
  const cacheFrom = await pullCacheImages(docker, options);
  const { totalSteps, cachedSteps } = await build(docker, options, cacheFrom, reference);
  for (const tag of otherTags) await docker.getImage(reference).tag({ repo: repository, tag });
  options.output(`Built ${reference}: ${cachedSteps} of ${totalSteps} steps from cache\n`);
  if (!options.target.push) {
    options.output('Not pushing: pushes are not allowed for this pipeline\n');
    return { ref: reference, digest: null, totalSteps, cachedSteps };
  }
  const digest = await push(docker, reference, options);
  for (const tag of otherTags) await push(docker, `${repository}:${tag}`, options);
  return { ref: reference, digest, totalSteps, cachedSteps };
}
