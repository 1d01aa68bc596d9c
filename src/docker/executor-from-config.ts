import type { Config } from '../config/load-config.js';
import type { DockerExecutorOptions } from './docker-executor.js';

export function dockerExecutorOptions(config: Config): DockerExecutorOptions {
  const { dind, job } = config.docker;
  const { host, user, password } = config.registry;
  return {
    dind: {
      image: dind.image,
      privileged: dind.privileged,
      network: dind.network,
      mtu: dind.mtu,
      socketDir: dind.socketDir,
      readyTimeoutMs: dind.readyTimeoutMs,
      registryMirror: dind.registryMirror,
    },
    job: { network: job.network, memory: job.memory, cpus: job.cpus, pids: job.pids },
    ...(user && password ? { registryAuth: { username: user, password, serveraddress: host } } : {}),
  };
}
