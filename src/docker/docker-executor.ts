import path from 'node:path';
import type Docker from 'dockerode';
import type { ExecutionEnvironment, Executor, PipelineIdentity } from '../pipeline/executor.js';
import { buildAndPush } from './build-and-push.js';
import { DIND_SOCKET, startDind, type DindOptions } from './dind.js';
import type { RegistryAuth } from './pull-image.js';
import { runJobContainer, type JobLimits } from './run-job-container.js';

export interface DockerExecutorOptions {
  dind: DindOptions;
  job: JobLimits;
  registryAuth?: RegistryAuth;
}

/** Runs each pipeline in a fresh Docker-in-Docker daemon on `host`, destroyed by `close()`. */
export function createDockerExecutor(host: Docker, options: DockerExecutorOptions): Executor {
  return {
    async open(pipeline: PipelineIdentity, signal: AbortSignal): Promise<ExecutionEnvironment> {
      const daemon = await startDind(host, pipeline.id, options.dind, signal);
      // Cancellation must not wait for a job to notice: removing the daemon stops everything inside it.
      const onAbort = () => void daemon.destroy().catch(() => undefined);
      signal.addEventListener('abort', onAbort, { once: true });
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
            auth: options.registryAuth,
          }),
        build: (job, target, context) =>
          buildAndPush(daemon.docker, {
            contextDir: path.join(context.sourceDir, job.context),
            dockerfile: job.dockerfile,
            buildArgs: job.buildArgs,
            target,
            network: options.job.network,
            auth: options.registryAuth,
            signal: context.signal,
            output: context.output,
          }),
        async close() {
          signal.removeEventListener('abort', onAbort);
          await daemon.destroy();
        },
      };
    },
  };
}
