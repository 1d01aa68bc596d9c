import Docker from 'dockerode';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resendUnread } from '../../../src/executors/docker/docker-client.js';

// A daemon may hang up on fresh connections for a moment (seen right after a build): a read or
// a tag that ended in EPIPE is sent again. EPIPE does not prove the daemon did nothing (a rename
// was done and its answer lost), so a request that changes something, or streams a body, is not.

type Dial = (options: { path?: string; method?: string; file?: unknown }, callback: (error: Error | null, result?: unknown) => void) => void;

/** A client whose modem answers the first `hangUps` requests with `code`, then with `answer`. */
function clientHungUpOn(hangUps: number, code = 'EPIPE', answer: unknown = 'OK') {
  const docker = new Docker({ socketPath: '/nonexistent.sock' });
  const sent: string[] = [];
  const dial: Dial = (options, callback) => {
    sent.push(options.path ?? '?');
    if (sent.length <= hangUps) return setImmediate(() => callback(Object.assign(new Error(`write ${code}`), { code })));
    setImmediate(() => callback(null, answer));
  };
  (docker.modem as unknown as { dial: Dial }).dial = dial;
  return { docker: resendUnread(docker), sent };
}

describe('a Docker client whose daemon hangs up on a request', () => {
  it('sends it again until the daemon reads it, a few times at most', async () => {
    const { docker, sent } = clientHungUpOn(2);
    await expect(docker.getImage('app:1').tag({ repo: 'app', tag: 'latest' })).resolves.toBe('OK');
    expect(sent).toEqual(['/images/app:1/tag?', '/images/app:1/tag?', '/images/app:1/tag?']);

    const hopeless = clientHungUpOn(10);
    await expect(hopeless.docker.ping()).rejects.toThrow('write EPIPE');
    expect(hopeless.sent).toHaveLength(4);
  });

  it('does not send again a request that changes something, streams a body, or failed otherwise', async () => {
    const rename = clientHungUpOn(1);
    await expect(rename.docker.getContainer('abc').rename({ name: 'taken' })).rejects.toThrow('write EPIPE');
    expect(rename.sent).toEqual(['/containers/abc/rename?']);

    const build = clientHungUpOn(1);
    await expect(build.docker.buildImage(Readable.from([Buffer.alloc(1024)]) as unknown as NodeJS.ReadableStream, { t: 'app:1' })).rejects.toThrow('write EPIPE');
    expect(build.sent).toHaveLength(1);

    const reset = clientHungUpOn(1, 'ECONNRESET');
    await expect(reset.docker.getImage('app:1').tag({ repo: 'app', tag: 'latest' })).rejects.toThrow('write ECONNRESET');
    expect(reset.sent).toHaveLength(1);

    const read = clientHungUpOn(1, 'EPIPE', [{ Id: 'c1' }]);
    await expect(read.docker.listContainers()).resolves.toEqual([{ Id: 'c1' }]);
    expect(read.sent).toHaveLength(2);
  });
});
