import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { ContainerSpec } from '../../deploy/actions/run-deploy-action.js';
import { isNotFound } from './docker-client.js';
import { pullImage } from './pull-image.js';
import { packFiles } from './source-archive.js';

/** How long a container without a HEALTHCHECK must stay up to count as started. */
const STARTUP_GRACE_MS = 3_000;

async function removeIfPresent(container: Docker.Container): Promise<void> {
  await container.remove({ force: true }).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
}

async function waitHealthy(container: Docker.Container, timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const { State } = await container.inspect();
    if (!State.Running) throw new Error(`it exited with code ${State.ExitCode}`);
    const health = State.Health?.Status;
    if (health === 'healthy') return;
    if (health === 'unhealthy') {
      const last = State.Health?.Log?.at(-1)?.Output?.trim();
      throw new Error(`its health check failed${last ? `: ${last.slice(0, 200)}` : ''}`);
    }
    if (health === undefined && Date.now() - started >= STARTUP_GRACE_MS) return;
    if (Date.now() - started > timeoutMs) throw new Error(`it was not healthy within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(250);
  }
}

/** Runs one step of the deploy; a failure says which step it was. */
async function step<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new Error(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Starts the new image beside the old container and replaces the old one only once the new
 * one is healthy. If it is not, the new container goes and the old one keeps serving.
 */
export async function deployContainer(docker: Docker, spec: ContainerSpec): Promise<string> {
  await step(`pulling ${spec.image}`, () => pullImage(docker, spec.image, AbortSignal.timeout(10 * 60_000)));
  const nextName = `${spec.name}-next`;
  await step(`removing a leftover ${nextName}`, () => removeIfPresent(docker.getContainer(nextName)));
  const next = await step(`creating ${nextName}`, () => docker.createContainer({
    name: nextName,
    Image: spec.image,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: { 'dev.slipway.deployment': spec.name },
    HostConfig: { NetworkMode: spec.network, RestartPolicy: { Name: 'unless-stopped' } },
  }));
  try {
    if (spec.files?.length) await next.putArchive(packFiles(spec.files), { path: '/' });
    await next.start();
    await waitHealthy(next, spec.healthTimeoutMs);
  } catch (error) {
    await removeIfPresent(next);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the new container did not become healthy (${reason}); ${spec.name} keeps running the previous version`);
  }
  const old = docker.getContainer(spec.name);
  // Look first: asking dockerd to stop a container it does not have can end in EPIPE, not a 404,
  // because it answers and closes before the request's body is written.
  const running = await step(`looking for the old ${spec.name}`, () =>
    old.inspect().then(
      (info) => info.State.Running,
      (error: unknown) => (isNotFound(error) ? false : Promise.reject(error)),
    ),
  );
  if (running) await step(`stopping the old ${spec.name}`, () => old.stop({ t: 10 }));
  await step(`removing the old ${spec.name}`, () => removeIfPresent(old));
  await step(`renaming ${nextName} to ${spec.name}`, () => next.rename({ name: spec.name }));
  return `container ${spec.name} now runs ${spec.image}`;
}
