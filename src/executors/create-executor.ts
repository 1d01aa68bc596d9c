import type { Config } from '../config/load-config.js';
import type { Executor } from '../pipeline/executor.js';
import { createDockerClient } from './docker/docker-client.js';
import { createDockerExecutor, type DockerExecutorOptions } from './docker/docker-executor.js';
import type { WarmPoolOptions } from './docker/warm-pool.js';

export interface ExecutorChoices {
  /**
   * Where a process that will not outlive its pipeline (`slipway run`) sends seeding, so that
   * its pool daemons outlive it; a worker seeds its own, and they go when it stops.
   */
  poolHandOff?: WarmPoolOptions['handOff'];
  onPoolError?: WarmPoolOptions['onError'];
  /** The owner label of this process's daemons (its worker id). */
  owner?: string;
}

export function dockerExecutorOptions(config: Config, choices: ExecutorChoices = {}): DockerExecutorOptions {
  const { dind, job, pool } = config.docker;
  const { host, user, password } = config.registry;
  return {
    hostAddress: config.docker.host ?? 'unix:///var/run/docker.sock',
    ...(choices.owner ? { owner: choices.owner } : {}),
    dind,
    registry: host,
    // Seeded daemons are claimed through their socket folders: a Docker host reached over TLS starts each one fresh.
    ...(pool.size > 0 && dind.connect === 'socket'
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
 * The executor the configuration asks for. Today there is one kind, a fresh Docker-in-Docker
 * daemon per pipeline on `DOCKER_HOST`; another kind (Kubernetes) would be chosen here.
 */
export function createExecutor(config: Config, choices: ExecutorChoices = {}): Executor {
  return createDockerExecutor(createDockerClient(config.docker.host, config.docker.tls), dockerExecutorOptions(config, choices));
}
