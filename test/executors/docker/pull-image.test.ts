import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import Modem from 'docker-modem';
import { describe, expect, it } from 'vitest';
import { PULL_REQUEST_ATTEMPTS, pullImage } from '../../../src/executors/docker/pull-image.js';

/** A daemon whose socket drops the first requests with these codes (or that answers with these errors), then pulls. */
function flakyDaemon(failures: Array<string | Error>) {
  const asked: string[] = [];
  const docker = {
    modem: new Modem(),
    async pull(reference: string) {
      asked.push(reference);
      const failure = failures.shift();
      if (failure instanceof Error) throw failure;
      if (failure) throw Object.assign(new Error(`write ${failure}`), { code: failure });
      return Readable.from([`${JSON.stringify({ status: 'Status: Downloaded newer image' })}\n`]);
    },
  } as unknown as Docker;
  return { docker, asked };
}

describe('pulling an image', () => {
  it('asks again when the daemon’s socket dropped the request before answering', async () => {
    const daemon = flakyDaemon(['EPIPE', 'ECONNRESET']);

    await pullImage(daemon.docker, 'busybox', new AbortController().signal);

    expect(daemon.asked).toEqual(['busybox:latest', 'busybox:latest', 'busybox:latest']);
  });

  it('gives up after a few lost requests, and never retries what the daemon refused', async () => {
    const lost = flakyDaemon(Array.from({ length: PULL_REQUEST_ATTEMPTS }, () => 'EPIPE'));
    const refused = flakyDaemon([Object.assign(new Error('(HTTP code 404) unexpected - manifest unknown'), { statusCode: 404 })]);

    await expect(pullImage(lost.docker, 'busybox', new AbortController().signal)).rejects.toThrow('write EPIPE');
    expect(lost.asked).toHaveLength(PULL_REQUEST_ATTEMPTS);
    await expect(pullImage(refused.docker, 'python:9.9', new AbortController().signal)).rejects.toThrow('manifest unknown');
    expect(refused.asked).toHaveLength(1);
  });
});
