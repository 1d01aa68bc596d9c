import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveLimitError, extractArchive, linkEscapes } from '../../src/forges/extract-archive.js';
import { resolveInCheckout } from '../../src/util/checkout-paths.js';
import { PipelineFileError } from '../../src/pipeline/read/pipeline-file-error.js';
import { readPipeline } from '../../src/pipeline/read/read-pipeline.js';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo'; linkname?: string; content?: string };

/** A forge-style .tar.gz (everything under `top/`) with exactly the entries given, hostile ones included. */
async function archiveOf(entries: Entry[], top = 'team-app-abc123/'): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const entry of entries) {
    const name = entry.name.startsWith('/') || entry.name.startsWith('..') ? entry.name : `${top}${entry.name}`;
    const linkname = entry.type === 'link' && entry.linkname && !entry.linkname.startsWith('/') && !entry.linkname.startsWith('..') ? `${top}${entry.linkname}` : entry.linkname;
    pack.entry({ name, type: entry.type ?? 'file', linkname, mode: 0o644 }, entry.content ?? '');
  }
  pack.finalize();
  return buffer((pack as unknown as Readable).pipe(createGzip()));
}

const LIMITS = { maxBytes: 10 * 1024 * 1024, maxFiles: 1000 };

describe('unpacking a hostile forge archive', () => {
  const folders: string[] = [];
  const checkout = async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'slipway-archive-test-'));
    folders.push(root);
    const dir = path.join(root, 'checkout');
    await mkdir(dir);
    return dir;
  };
  afterEach(async () => {
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });

  it('drops links that lead out of the checkout, however they get there, and says so', async () => {
    const dir = await checkout();
    const archive = await archiveOf([
      { name: '.slipway.yml', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'y', type: 'symlink', linkname: '.' },
      { name: 'hostroot', type: 'symlink', linkname: 'y/y/y/../../..' },
      { name: 'up', type: 'symlink', linkname: '../..' },
      { name: 'docs/readme', type: 'symlink', linkname: '../README.md' },
      { name: 'loop-a', type: 'symlink', linkname: 'loop-b' },
      { name: 'loop-b', type: 'symlink', linkname: 'loop-a' },
      { name: 'via-dropped', type: 'symlink', linkname: 'up/x' },
      { name: 'README.md', content: 'hello' },
    ]);

    const notes = await extractArchive(archive, dir, LIMITS);

    expect(readFileSync(path.join(dir, 'docs/readme'), 'utf8')).toBe('hello');
    expect(lstatSync(path.join(dir, 'y')).isSymbolicLink()).toBe(true);
    for (const name of ['.slipway.yml', 'hostroot', 'up', 'loop-a', 'loop-b', 'via-dropped']) expect(existsSync(path.join(dir, name)), name).toBe(false);
    expect(notes).toContain('left out the link hostroot -> y/y/y/../../..: it leads outside the repository');
    expect(notes).toContain('left out the link .slipway.yml -> /etc/passwd: it leads outside the repository');
  });

  it('never writes outside the checkout: absolute paths, .. entries and hard links to host files', async () => {
    const dir = await checkout();
    const archive = await archiveOf([
      { name: '../../escaped.txt', content: 'out' },
      { name: '/tmp/slipway-absolute-escape.txt', content: 'out' },
      { name: 'a/../../escaped-too.txt', content: 'out' },
      { name: 'shadow', type: 'link', linkname: '/etc/shadow' },
      { name: 'passwd', type: 'link', linkname: '../../../../etc/passwd' },
      { name: 'src/main.py', content: 'print(1)' },
      { name: 'copy.py', type: 'link', linkname: 'src/main.py' },
      { name: 'pipe', type: 'fifo' },
    ]);

    const notes = await extractArchive(archive, dir, LIMITS);
    const root = path.dirname(dir);

    expect(await readdir(root)).toEqual(['checkout']);
    expect(existsSync('/tmp/slipway-absolute-escape.txt')).toBe(false);
    expect(existsSync(path.join(dir, 'shadow'))).toBe(false);
    expect(existsSync(path.join(dir, 'passwd'))).toBe(false);
    expect(readFileSync(path.join(dir, 'copy.py'), 'utf8')).toBe('print(1)');
    expect(lstatSync(path.join(dir, 'copy.py')).nlink).toBe(1);
    expect(existsSync(path.join(dir, 'pipe'))).toBe(false);
    expect(notes.some((note) => note.startsWith('left out shadow: a hard link to /etc/shadow'))).toBe(true);
    expect(notes).toContain('left out pipe: a fifo is not a file');
  });

  it('stops a decompression bomb at the byte limit, without unpacking it', async () => {
    const dir = await checkout();
    // A 4 GiB file of zeros, compressed as it is read: the archive is never whole in memory.
    const pack = tarStream.pack();
    // The extractor stops reading and closes the stream: the feeding side is told so, and that is expected.
    pack.on('error', () => undefined);
    const bomb = pack.entry({ name: 'top/zeros', size: 4 * 1024 ** 3 });
    let written = 0;
    const zeros = Buffer.alloc(1024 * 1024);
    const feed = () => {
      while (written < 64 * 1024 * 1024) {
        written += zeros.length;
        if (!bomb.write(zeros)) return void bomb.once('drain', feed);
      }
    };
    bomb.on('error', () => undefined);
    feed();

    await expect(extractArchive((pack as unknown as Readable).pipe(createGzip()), dir, LIMITS)).rejects.toThrow(
      new ArchiveLimitError(`the repository unpacks to more than ${LIMITS.maxBytes} bytes (SLIPWAY_SOURCE_MAX_BYTES)`),
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('stops at the file-count limit', async () => {
    const dir = await checkout();
    const archive = await archiveOf(Array.from({ length: 50 }, (_, index) => ({ name: `f${index}`, content: '' })));

    await expect(extractArchive(archive, dir, { maxBytes: LIMITS.maxBytes, maxFiles: 20 })).rejects.toThrow('the repository has more than 20 files and folders (SLIPWAY_SOURCE_MAX_FILES)');
  });

  it('reads no pipeline file through a link out of the checkout, and no build context outside it', async () => {
    const dir = await checkout();
    // As if unpacked by something less careful: the checks at reading time hold on their own.
    await symlink('/etc/passwd', path.join(dir, '.slipway.yml'));
    await symlink('/', path.join(dir, 'hostroot'));

    await expect(readPipeline(dir)).rejects.toThrow(new PipelineFileError('.slipway.yml', ['.slipway.yml leads outside the repository']));
    expect(() => resolveInCheckout(dir, 'hostroot/etc')).toThrow('hostroot/etc leads outside the repository');
    expect(() => resolveInCheckout(dir, '../..')).toThrow('../.. is outside the repository');
  });

  it('refuses a pipeline file that is not a regular file or is too large', async () => {
    const dir = await checkout();
    await writeFile(path.join(dir, '.gitlab-ci.yml'), `# ${'x'.repeat(2 * 1024 * 1024)}\n`);

    await expect(readPipeline(dir)).rejects.toThrow(/^\.gitlab-ci\.yml: is \d+ bytes; a pipeline file may be at most 1048576$/);
  });

  it.each([
    ['y/y/y/../../..', true],
    ['y/../README.md', true],
    ['docs/../README.md', false],
    ['y/y/README.md', false],
    ['/etc', true],
    ['..', true],
  ])('resolves %s as the kernel would (escapes: %s)', (target, escapes) => {
    expect(linkEscapes('link', new Map([['y', '.'], ['link', target]]))).toBe(escapes);
  });
});
