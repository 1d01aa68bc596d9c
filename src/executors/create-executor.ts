import type { Config, DockerHostSettings } from '../config/load-config.js';
import type { Executor } from '../pipeline/executor.js';
import type { DeployContainer } from '../deploy/actions/run-deploy-action.js';
import { deployContainer } from './docker/deploy-container.js';
import { drainPool, listPool, type PoolMember } from './docker/dind-pool.js';
import { createDockerClient } from './docker/docker-client.js';
import { createDockerExecutor, type DockerExecutorOptions } from './docker/docker-executor.js';
import type { WarmPoolOptions } from './docker/warm-pool.js';
import { ownerLabel } from './owner-label.js';
import { placePipelines } from './place-pipelines.js';

export interface ExecutorChoices {
  /**
   * Where a process that will not outlive its pipeline (`slipway run`) sends seeding, so that
   * its pool daemons outlive it; a worker seeds its own, and they go when it stops.
   */
  poolHandOff?: WarmPoolOptions['handOff'];
  onPoolError?: WarmPoolOptions['onError'];
  /** The owner label of this process's daemons (its worker id). */
  owner?: string;
  /** This installation's id: its containers carry it, and it touches no others. */
  installation: string;
}

export function dockerExecutorOptions(config: Config, choices: ExecutorChoices): DockerExecutorOptions {
  const { dind, job, pool } = config.docker;
  const { host, user, password } = config.registry;
  return {
    hostAddress: config.docker.host ?? 'unix:///var/run/docker.sock',
    ...(choices.owner ? { owner: choices.owner } : {}),
    dind: { ...dind, installation: choices.installation },
    registry: host,
    ...(pool.size > 0
      ? {
          pool: {
            settings: { ...pool, lifetime: choices.poolHandOff ? 'detached' : 'process' },
            ...(choices.poolHandOff ? { handOff: choices.poolHandOff } : {}),
            ...(choices.onPoolError ? { onError: choices.onPoolError } : {}),
          },
        }
      : {}),
    job: { network: job.network, memory: job.memory, cpus: job.cpus, pids: job.pids },
    serviceReadyTimeoutMs: job.serviceReadyTimeoutMs,
    ...(user && password ? { registryAuth: { username: user, password, serveraddress: host } } : {}),
  };
}

/**
 * The executor the configuration asks for: a fresh Docker-in-Docker daemon per pipeline on
 * `DOCKER_HOST`, or on one of SLIPWAY_DOCKER_HOSTS with room and the pipeline's tags. Another
 * kind (Kubernetes, see docs/kubernetes.md) would be chosen here.
 */
export function createExecutor(config: Config, choices: ExecutorChoices): Executor {
  const options = dockerExecutorOptions(config, choices);
  const onHost = (host: DockerHostSettings) =>
    createDockerExecutor(createDockerClient(host.url, host.tls), {
      ...options,
      hostAddress: host.url,
      hostName: host.name,
      dind: { ...options.dind, connect: host.connect, reachAt: host.reachAt },
      // Seeded daemons are claimed through their socket folders: a host reached over TLS starts each one fresh.
      ...(host.connect === 'socket' && options.pool ? { pool: options.pool } : { pool: undefined }),
    });
  const { hosts } = config.docker;
  if (hosts.length === 1 && hosts[0]!.tags.length === 0 && config.docker.untrustedPipelines === 'none') return onHost(hosts[0]!);
  return placePipelines(
    hosts.map((host) => ({ name: host.name, capacity: host.capacity, tags: host.tags, executor: onHost(host) })),
    config.docker.untrustedPipelines,
  );
}

/** Replaces a docker deploy action's container on its Docker host (DOCKER_HOST unless the action names one). */
export function containerDeployer(config: Config): DeployContainer {
  return (dockerHost, spec) => deployContainer(createDockerClient(dockerHost ?? config.docker.host), spec);
}

/** What `slipway pool` does with the host's pool of prepared places, whether or not this process would use it. */
export interface PoolAdmin {
  members(): Promise<PoolMember[]>;
  /** Removes every unclaimed member; how many. */
  drain(): Promise<number>;
}

export function poolAdmin(config: Config, installation: string): PoolAdmin {
  const host = createDockerClient(config.docker.host);
  return {
    members: async () => (await listPool(host, installation)).members,
    drain: () => drainPool(host, ownerLabel(), { ...config.docker.dind, installation }, () => true),
  };
}
