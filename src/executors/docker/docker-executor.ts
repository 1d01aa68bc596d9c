import type Docker from 'dockerode';
import { withinTime } from '../../util/within-time.js';
import { resolveInCheckout } from '../../util/checkout-paths.js';
import { JobError, type ExecutionEnvironment, type Executor, type JobContext, type PipelineIdentity } from '../../pipeline/executor.js';
import { buildAndPush } from './build-and-push.js';
import { repositoryPath } from '../../pipeline/image-names.js';
import { DIND_SOCKET, LABEL_DOCKER_HOST, LABEL_INSTALLATION, LABEL_OWNER, pipelineIdentity, removeOrphanDinds, startDind, type DindDaemon, type DindOptions } from './dind.js';
import type { PoolSettings } from './dind-pool.js';
import { inOwnRegistry, seedImages } from './pool-seeds.js';
import { pullImage, type RegistryAuth } from './pull-image.js';
import { runJobContainer, type JobLimits } from './run-job-container.js';
import { createWarmPool, type WarmPool, type WarmPoolOptions } from './warm-pool.js';
import { ownerIsGone, ownerLabel } from '../owner-label.js';

export interface DockerExecutorOptions {
  /** The owner label of this process's daemons: its worker id, whose heartbeat speaks for them. */
  owner?: string;
  /** Its name among a worker's Docker hosts, labelled on its daemons. */
  hostName?: string;
  /** How `host` was reached (DOCKER_HOST), for messages. */
  hostAddress?: string;
  dind: DindOptions;
  job: JobLimits;
  registryAuth?: RegistryAuth;
  /** How long a job waits for its services' ports. */
  serviceReadyTimeoutMs: number;
  /** Slipway's registry (`host[:port]`): the only one whose images are seeded with its credentials. */
  registry?: string;
  /** Daemons seeded ahead of the pipelines that will want them; without it, every pipeline starts an empty one. */
  pool?: { settings: PoolSettings } & Pick<WarmPoolOptions, 'handOff' | 'onError'>;
}

/** The build context, resolved through links, refused unless it is a folder inside the checkout. */
async function buildContext(sourceDir: string, context: string): Promise<string> {
  let resolved: string | undefined;
  try {
    resolved = resolveInCheckout(sourceDir, context);
  } catch (error) {
    throw new JobError(`build context ${(error as Error).message}`);
  }
  if (resolved === undefined) throw new JobError(`build context ${context} does not exist in the repository`);
  return resolved;
}

/** What the pipeline's daemon got from registries, for the next one of its project to start with. */
async function seedsOf(daemon: DindDaemon, pipeline: PipelineIdentity, registry: string): Promise<string[]> {
  try {
    const images = await daemon.docker.listImages({ abortSignal: AbortSignal.timeout(5_000) });
    return seedImages(images, { registry, repository: repositoryPath(pipeline.project) });
  } catch {
    return [];
  }
}

/** What a pipeline's environment needs from the executor that opened it. */
interface EnvironmentParts {
  options: DockerExecutorOptions;
  registry: string;
  pool: WarmPool | undefined;
  pipeline: PipelineIdentity;
  signal: AbortSignal;
  onAbort: () => void;
  jobImageAuth: (credential: JobContext['registryCredential']) => (image: string) => RegistryAuth | undefined;
  pullSeed: (docker: Docker, image: string, signal: AbortSignal) => Promise<void>;
  warm: boolean;
}

/** A pipeline's jobs and build in its own daemon; closing it removes the daemon and refills the pool. */
function daemonEnvironment(daemon: DindDaemon, { options, registry, pool, pipeline, signal, onAbort, jobImageAuth, pullSeed, warm }: EnvironmentParts): ExecutionEnvironment {
  return {
    runScript: (job, context) =>
      runJobContainer(daemon.docker, {
        image: job.image,
        script: job.script,
        afterScript: job.afterScript,
        // Inside the daemon, a bind mount names a path in the dind container: its own socket.
        dockerSocket: job.dockerAccess ? DIND_SOCKET : undefined,
        env: context.env,
        sourceDir: context.sourceDir,
        limits: options.job,
        signal: context.signal,
        output: context.output,
        authFor: jobImageAuth(context.registryCredential),
        services: context.services,
        serviceReadyTimeoutMs: options.serviceReadyTimeoutMs,
        serviceLogs: context.serviceLogs,
        files: context.files,
        inputs: context.inputs,
        collect: context.collect,
      }),
    build: async (job, target, context) =>
      buildAndPush(daemon.docker, {
        contextDir: await buildContext(context.sourceDir, job.context),
        dockerfile: job.dockerfile,
        buildArgs: job.buildArgs,
        target,
        network: options.job.network,
        auth: options.registryAuth,
        signal: context.signal,
        output: context.output,
      }),
    warm,
    async close() {
      signal.removeEventListener('abort', onAbort);
      const seeds = pool && pipeline.affinity && !signal.aborted ? await seedsOf(daemon, pipeline, registry) : [];
      await daemon.destroy();
      if (pool && pipeline.affinity) pool.replenish({ affinity: pipeline.affinity, seeds, pull: pullSeed });
    },
  };
}

/**
 * Runs each pipeline in a Docker-in-Docker daemon of its own on `host`, destroyed by `close()`:
 * one from the pool seeded for its project when there is one, a fresh empty one otherwise.
 */
export function createDockerExecutor(host: Docker, options: DockerExecutorOptions): Executor {
  const registry = options.registry ?? options.registryAuth?.serveraddress ?? '';
  const owner = options.owner ?? ownerLabel();
  const pool = options.pool ? createWarmPool(host, { dind: options.dind, owner, ...options.pool }) : undefined;
  /**
   * A job's and its services' images are pulled as the pipeline: with its own job token in
   * Slipway's registry (so it reads what its project may read, not what Slipway's account may),
   * and with no credentials anywhere else (Slipway's account is never offered to another registry).
   */
  const ownImage = (image: string) => registry !== '' && inOwnRegistry(image, registry);
  const jobImageAuth =
    (credential: JobContext['registryCredential']) =>
    (image: string): RegistryAuth | undefined =>
      ownImage(image) && credential ? { ...credential, serveraddress: registry } : undefined;
  const pullSeed = (docker: Docker, image: string, signal: AbortSignal) => pullImage(docker, image, signal, ownImage(image) ? options.registryAuth : undefined);

  return {
    describe: options.hostAddress ?? 'unix:///var/run/docker.sock',

    async check() {
      await withinTime(host.ping(), 5_000, () => Object.assign(new Error('Docker did not answer within 5 s'), { code: 'ETIMEDOUT' }));
    },

    async recoverOrphans(deadOwners) {
      // Every owner of a daemon or a pool claim on this host, asked about at once.
      const labelled = await host.listContainers({ all: true, filters: { label: [LABEL_OWNER, `${LABEL_INSTALLATION}=${options.dind.installation}`] } });
      const owners = [...new Set(labelled.map((info) => info.Labels[LABEL_OWNER] ?? ''))].filter(Boolean);
      const dead = deadOwners ? await deadOwners(owners) : new Set<string>();
      const isGone = (candidate: string) => dead.has(candidate) || ownerIsGone(candidate);
      const pipelines = (await removeOrphanDinds(host, options.dind.installation, (dind) => isGone(dind.owner), options.dind.socketDir)).map((orphan) => orphan.pipelineId);
      if (pool) pipelines.push(...(await pool.prune(isGone)));
      return pipelines;
    },

    ...(pool
      ? {
          pool: {
            counts: () => pool.counts(),
            settled: () => pool.settled(),
            seed: (affinity: string, seeds: string[]) => pool.seed({ affinity, seeds, pull: pullSeed }),
          },
          stop: () => pool.stop(),
        }
      : {}),

    async open(pipeline: PipelineIdentity, signal: AbortSignal): Promise<ExecutionEnvironment> {
      // The pool is a shortcut: when it cannot be read, the pipeline starts a fresh daemon as before.
      const pooled = pool && pipeline.affinity ? await pool.claim(pipeline.affinity, pipeline.id).catch((error: unknown) => void options.pool?.onError?.(error)) : undefined;
      const identity = pipelineIdentity(pipeline.id, options.dind.installation, owner);
      if (options.hostName) identity.labels[LABEL_DOCKER_HOST] = options.hostName;
      const daemon = pooled ?? (await startDind(host, pipeline.id, options.dind, signal, identity));
      // Cancellation must not wait for a job to notice: removing the daemon stops everything inside it.
      const onAbort = () => void daemon.destroy().catch(() => undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      return daemonEnvironment(daemon, { options, registry, pool, pipeline, signal, onAbort, jobImageAuth, pullSeed, warm: pooled !== undefined });
    },
  };
}
