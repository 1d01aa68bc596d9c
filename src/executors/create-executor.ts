import type { Config } from '../config/load-config.js';
import type { Executor } from '../pipeline/executor.js';
import { createDockerClient } from './docker/docker-client.js';
import { createDockerExecutor, type DockerExecutorOptions } from './docker/docker-executor.js';

export function dockerExecutorOptions(config: Config): DockerExecutorOptions {
  const { dind, job } = config.docker;
  const { host, user, password } = config.registry;
  return {
    dind,
    job: { network: job.network, memory: job.memory, cpus: job.cpus, pids: job.pids },
    serviceReadyTimeoutMs: job.serviceReadyTimeoutMs,
    ...(user && password ? { registryAuth: { username: user, password, serveraddress: host } } : {}),
  };
}

/**
 * The executor the configuration asks for. Today there is one kind, a fresh Docker-in-Docker
 * daemon per pipeline on `DOCKER_HOST`; another kind (Kubernetes) would be chosen here.
 */
export function createExecutor(config: Config): Executor {
  return createDockerExecutor(createDockerClient(config.docker.host), dockerExecutorOptions(config));
}
