import { cp, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { createGzip } from 'node:zlib';
import { packSource } from '../../src/executors/docker/source-archive.js';

/**
 * A .tar.gz of a tree as a forge serves it: everything under one top-level folder.
 * `base` is copied first, then `files` written over it (`null` removes a file).
 */
export async function forgeArchive(base: string | undefined, files: Record<string, string | null> = {}, top = 'project-archive'): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-archive-'));
  try {
    if (base) await cp(base, dir, { recursive: true });
    for (const [file, content] of Object.entries(files)) {
      if (content === null) {
        await rm(path.join(dir, file), { force: true });
        continue;
      }
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), content);
    }
    const tar = packSource(dir, top) as unknown as NodeJS.ReadableStream & { pipe<T extends NodeJS.WritableStream>(destination: T): T };
    return await buffer(tar.pipe(createGzip()));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
