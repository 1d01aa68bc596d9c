import type Docker from 'dockerode';
import { resolveInCheckout } from '../../pipeline/checkout-paths.js';
import { JobError, type ExecutionEnvironment, type Executor, type PipelineIdentity } from '../../pipeline/executor.js';
import { buildAndPush } from './build-and-push.js';
import { DIND_SOCKET, removeOrphanDinds, startDind, type DindOptions } from './dind.js';
import type { RegistryAuth } from './pull-image.js';
import { runJobContainer, type JobLimits } from './run-job-container.js';

export interface DockerExecutorOptions {
  dind: DindOptions;
  job: JobLimits;
  registryAuth?: RegistryAuth;
  /** How long a job waits for its services' ports. */
  serviceReadyTimeoutMs: number;
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

/** Runs each pipeline in a fresh Docker-in-Docker daemon on `host`, destroyed by `close()`. */
export function createDockerExecutor(host: Docker, options: DockerExecutorOptions): Executor {
  return {
    async recoverOrphans() {
      return (await removeOrphanDinds(host, undefined, options.dind.socketDir)).map((orphan) => orphan.pipelineId);
    },

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
        async close() {
          signal.removeEventListener('abort', onAbort);
          await daemon.destroy();
        },
      };
    },
  };
}
