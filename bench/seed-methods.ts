import { startDind } from '../src/executors/docker/dind.js';
import { pullImage } from '../src/executors/docker/pull-image.js';
import { executorOptions, host, uniqueName } from '../test/helpers/docker-lab.js';
import { lab } from '../test/helpers/lab.js';
import { median, printTable } from './print-table.js';

const SAMPLES = 3;
const IMAGE = 'python:3.8-slim';

/** How to fill a pool daemon: pull through the registry mirror, or stream `docker save` from the host daemon into `docker load`. */
export async function seedMethodsBench(): Promise<void> {
  const signal = new AbortController().signal;
  const hostName = `${lab.registry}/library/${IMAGE}`;
  await pullImage(host, hostName, signal);
  const pull: number[] = [];
  const load: number[] = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    for (const method of ['pull', 'load'] as const) {
      const daemon = await startDind(host, uniqueName('bench-seed'), executorOptions.dind, signal);
      try {
        const started = performance.now();
        if (method === 'pull') await pullImage(daemon.docker, IMAGE, signal);
        else await daemon.docker.loadImage(await host.getImage(hostName).get(), { quiet: true }).then((stream) => new Promise((resolve, reject) => (stream as NodeJS.ReadableStream).on('end', resolve).on('error', reject).resume()));
        (method === 'pull' ? pull : load).push(performance.now() - started);
      } finally {
        await daemon.destroy();
      }
    }
  }
  printTable(`seeding one pool daemon with ${IMAGE} (192 MB), medians of ${SAMPLES}`, [
    ['pull through the registry mirror', `${median(pull).toFixed(0)} ms (${pull.map((ms) => ms.toFixed(0)).join(', ')})`],
    ['docker save from the host | docker load', `${median(load).toFixed(0)} ms (${load.map((ms) => ms.toFixed(0)).join(', ')})`],
  ]);
}
