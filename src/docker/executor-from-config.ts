import type { Config } from '../config/load-config.js';
import type { DockerExecutorOptions } from './docker-executor.js';

export function dockerExecutorOptions(config: Config): DockerExecutorOptions {
  const { dind, job } = config.docker;
  const { host, user, password } = config.registry;
  return {
    dind,
    job: { network: job.network, memory: job.memory, cpus: job.cpus, pids: job.pids },
    ...(user && password ? { registryAuth: { username: user, password, serveraddress: host } } : {}),
  };
}
