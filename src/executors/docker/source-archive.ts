import path from 'node:path';
import tar from 'tar-fs';
import tarStream from 'tar-stream';

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

/** A tar stream holding `files` at their absolute paths, for the archive API. */
export function packFiles(files: ReadonlyArray<{ path: string; content: string }>): NodeJS.ReadableStream {
  const pack = tarStream.pack();
  const folders = [...new Set(files.map((file) => path.posix.dirname(file.path.replace(/^\/+/, ''))))].filter((folder) => folder !== '.');
  for (const folder of folders) pack.entry({ name: folder, type: 'directory', mode: 0o755 });
  for (const file of files) pack.entry({ name: file.path.replace(/^\/+/, ''), mode: 0o644 }, file.content);
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
}
