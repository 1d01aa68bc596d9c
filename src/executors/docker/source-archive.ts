import path from 'node:path';
import tar from 'tar-fs';

/**
 * A tar stream of `dir` for the archive API (bind mounts resolve inside the dind container,
 * not on our host). `.git` stays out: jobs get the files at the SHA, not the history.
 */
export function packSource(dir: string, prefix = ''): NodeJS.ReadableStream {
  const pack = tar.pack(dir, {
    ignore: (name) => path.relative(dir, name).split(path.sep)[0] === '.git',
    map: (header) => {
      if (prefix) header.name = path.posix.join(prefix, header.name);
      return header;
    },
  });
  // tar-fs returns a streamx stream: a Node readable in every way dockerode uses.
  return pack as unknown as NodeJS.ReadableStream;
}
