import type { WorkspaceReader } from '../executor.js';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';


/** Past the size an archive may have: the message says which limit, and what to change. */
export class ArchiveTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`larger than ${limit} bytes`);
    this.name = 'ArchiveTooLarge';
  }
}

export interface PackedWorkspace {
  /** A gzipped tar of the kept files, named relative to the workspace. */
  archive: Buffer;
  files: number;
}

/** `dist/app.js` read from folder `dist` (or `workspace/dist/app.js` from the whole workspace) -> `dist/app.js`. */
function relativeName(folder: string, entry: string): string {
  const name = entry.replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (folder === '') return name.split('/').slice(1).join('/');
  const parent = path.posix.dirname(folder);
  return parent === '.' ? name : `${parent}/${name}`;
}

/**
 * Reads `folders` of a job's workspace and packs the files `keep` accepts into one gzipped
 * tar, at most `maxBytes` of it: past that it stops reading and throws ArchiveTooLarge.
 * Links are kept as links (they are unpacked into later jobs' containers, never on this host).
 */
export async function packWorkspace(read: WorkspaceReader, folders: readonly string[], keep: (path: string) => boolean, maxBytes: number): Promise<PackedWorkspace> {
  const pack = tarStream.pack();
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  let size = 0;
  let files = 0;
  let tooLarge = false;
  const compressed = new Promise<void>((resolve, reject) => {
    gzip.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        gzip.destroy(new ArchiveTooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  (pack as unknown as NodeJS.ReadableStream).pipe(gzip);
  // A stopped compressor tears down the packer too; the reason reaches the caller through `compressed`.
  pack.on('error', () => undefined);
  const seen = new Set<string>();
  let stream: NodeJS.ReadableStream | undefined;
  try {
    for (const folder of folders) {
      stream = await read(folder);
      if (!stream) continue;
      const extract = tarStream.extract();
      const done = new Promise<void>((resolve, reject) => {
        extract.on('entry', (header, entry, next) => {
          const name = relativeName(folder, header.name);
          const wanted = name !== '' && !seen.has(name) && (header.type === 'file' || header.type === 'symlink') && keep(name);
          if (!wanted) {
            entry.on('end', next);
            entry.resume();
            return;
          }
          seen.add(name);
          files += 1;
          const written = pack.entry({ name, type: header.type, size: header.size, mode: header.mode, mtime: header.mtime, linkname: header.linkname }, (error) => (error ? reject(error) : next()));
          written.on('error', reject);
          entry.on('error', reject);
          if (header.type === 'file') entry.pipe(written as unknown as NodeJS.WritableStream);
          else entry.resume();
        });
        extract.on('finish', resolve);
        extract.on('error', reject);
      });
      stream.on('error', (error) => extract.destroy(error));
      stream.pipe(extract as unknown as NodeJS.WritableStream);
      // Past the limit the compressor stops, and with it the reading: its error ends the wait.
      await Promise.race([done, compressed]);
    }
    pack.finalize();
    await compressed;
  } catch (error) {
    // Not drained: a workspace may be gigabytes, and the reason is known.
    (stream as Readable | undefined)?.destroy?.();
    pack.destroy();
    gzip.destroy();
    // Tearing the streams down may surface as another error first ("aborted"): the size is the reason.
    throw tooLarge ? new ArchiveTooLarge(maxBytes) : error;
  }
  return { archive: Buffer.concat(chunks), files };
}

/** The text of one file of the workspace (a dotenv report), or undefined when it is not there or not a file. */
export async function readWorkspaceFile(read: WorkspaceReader, file: string, maxBytes: number): Promise<string | undefined> {
  const stream = await read(file);
  if (!stream) return undefined;
  return readTarredFile(stream, () => true, maxBytes);
}

/**
 * The text of the first file of a tar stream that `wanted` accepts by its name, or undefined;
 * one past `maxBytes` throws ArchiveTooLarge without being read.
 */
export async function readTarredFile(stream: NodeJS.ReadableStream, wanted: (name: string) => boolean, maxBytes: number): Promise<string | undefined> {
  const extract = tarStream.extract();
  let text: string | undefined;
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, entry, next) => {
      if (text !== undefined || header.type !== 'file' || !wanted(header.name)) {
        entry.on('end', next);
        entry.resume();
        return;
      }
      if ((header.size ?? 0) > maxBytes) {
        (stream as Readable).destroy?.();
        reject(new ArchiveTooLarge(maxBytes));
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      entry.on('end', () => {
        text = Buffer.concat(chunks).toString('utf8');
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    stream.on('error', reject);
    stream.pipe(extract as unknown as NodeJS.WritableStream);
  });
  return text;
}

/** A packed archive as a stream, for the archive API. */
export function archiveStream(archive: Buffer): NodeJS.ReadableStream {
  return Readable.from([archive]);
}
