import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-fs';

/**
 * Unpacks a forge's .tar.gz of one commit into `destDir`. Both forges wrap the tree in a
 * top-level folder (`owner-repo-sha/`), which is dropped; tar-fs refuses links out of the tree.
 */
export async function extractArchive(archive: Buffer | Readable, destDir: string): Promise<void> {
  const source = Buffer.isBuffer(archive) ? Readable.from([archive]) : archive;
  const extract = tar.extract(destDir, {
    map: (header) => {
      header.name = header.name.split('/').slice(1).join('/');
      return header;
    },
    ignore: (_name, header) => !header || header.name === '',
  });
  await pipeline(source, createGunzip(), extract as unknown as NodeJS.WritableStream);
}
