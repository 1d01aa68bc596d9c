import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';

/** How much a forge archive may unpack to. */
export interface ArchiveLimits {
  maxBytes: number;
  maxFiles: number;
}

/** The archive is larger than the limits allow: the pipeline fails with this message. */
export class ArchiveLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveLimitError';
  }
}

/** What was left out of the checkout, one line each, for the pipeline's notes. */
export type ArchiveNotes = string[];

const MAX_LINK_HOPS = 40;
const MAX_NOTES = 20;

/** `owner-repo-sha/dir/file` -> `dir/file`; undefined for a name that is not a plain path inside the tree. */
function entryPath(name: string): string | undefined {
  const parts = name.split('/').slice(1).filter((part) => part !== '' && part !== '.');
  if (parts.length === 0 || parts.some((part) => part === '..' || part.includes('\0'))) return undefined;
  return parts.join('/');
}

/**
 * True when the link at `linkPath` resolves outside the tree, following the archive's other
 * links as the kernel would (a link, then `..` from where it led). Absolute targets, loops and
 * chains longer than the kernel's own limit count as outside.
 */
export function linkEscapes(linkPath: string, links: ReadonlyMap<string, string>): boolean {
  const own = links.get(linkPath);
  if (own === undefined || path.posix.isAbsolute(own)) return true;
  const stack = linkPath.split('/').slice(0, -1);
  let queue = own.split('/');
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (stack.length === 0) return true;
      stack.pop();
      continue;
    }
    stack.push(part);
    const target = links.get(stack.join('/'));
    if (target === undefined) continue;
    hops += 1;
    if (hops > MAX_LINK_HOPS || path.posix.isAbsolute(target)) return true;
    stack.pop();
    queue = [...target.split('/'), ...queue];
  }
  return false;
}

/** The links that stay inside the tree; dropping one can strand others, so repeat until nothing changes. */
function containedLinks(candidates: ReadonlyMap<string, string>): { kept: Map<string, string>; dropped: string[] } {
  const kept = new Map(candidates);
  const dropped: string[] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, target] of kept) {
      const parentIsLink = name.split('/').some((_, index, parts) => index < parts.length - 1 && kept.has(parts.slice(0, index + 1).join('/')));
      if (parentIsLink || linkEscapes(name, kept)) {
        kept.delete(name);
        dropped.push(`${name} -> ${target}`);
        changed = true;
      }
    }
  }
  return { kept, dropped };
}

/** What unpacking the entries found: the files written, and the links made once every file is there. */
interface Unpacked {
  files: Set<string>;
  symlinks: Map<string, string>;
  hardLinks: Array<{ name: string; linkname: string }>;
  notes: string[];
}

/** Writes each entry of the archive, within `limits`; links are only noted, to be made last. */
async function unpackEntries(extract: ReturnType<typeof tarStream.extract>, destDir: string, limits: ArchiveLimits, unpacked: Unpacked): Promise<void> {
  const { files, symlinks, hardLinks, notes } = unpacked;
  let entries = 0;
  let bytes = 0;
  for await (const entry of extract) {
    const { header } = entry;
    const name = entryPath(header.name);
    if (name === undefined || ['pax-global-header', 'pax-header', 'gnu-long-path', 'gnu-long-link-path'].includes(header.type)) {
      if (name === undefined && header.name.split('/').slice(1).join('/').replace(/\/+$/, '') !== '') notes.push(`left out ${header.name}: its path leaves the repository`);
      entry.resume();
      continue;
    }
    entries += 1;
    if (entries > limits.maxFiles) throw new ArchiveLimitError(`the repository has more than ${limits.maxFiles} files and folders (SLIPWAY_SOURCE_MAX_FILES)`);
    const destination = path.join(destDir, name);
    if (header.type === 'directory') await mkdir(destination, { recursive: true });
    else if (header.type === 'file' || header.type === 'contiguous-file') {
      bytes += header.size;
      if (bytes > limits.maxBytes) throw new ArchiveLimitError(`the repository unpacks to more than ${limits.maxBytes} bytes (SLIPWAY_SOURCE_MAX_BYTES)`);
      await mkdir(path.dirname(destination), { recursive: true });
      await pipeline(entry, createWriteStream(destination, { mode: header.mode & 0o111 ? 0o755 : 0o644 }));
      files.add(name);
      continue;
    } else if (header.type === 'symlink') symlinks.set(name, header.linkname);
    else if (header.type === 'link') hardLinks.push({ name, linkname: header.linkname });
    else notes.push(`left out ${name}: a ${header.type} is not a file`);
    entry.resume();
  }
}

/** Hard links become copies of files already unpacked; symbolic links are made only when they stay inside. */
async function makeLinks(destDir: string, { files, symlinks, hardLinks, notes }: Unpacked): Promise<void> {
  for (const link of hardLinks) {
    // Hard links name their target by its full path in the archive, top-level folder included.
    const target = entryPath(link.linkname);
    if (target === undefined || !files.has(target)) {
      notes.push(`left out ${link.name}: a hard link to ${link.linkname}, which is not a file in the repository`);
      continue;
    }
    await mkdir(path.dirname(path.join(destDir, link.name)), { recursive: true });
    await copyFile(path.join(destDir, target), path.join(destDir, link.name));
    files.add(link.name);
  }
  const { kept, dropped } = containedLinks(symlinks);
  for (const link of dropped) notes.push(`left out the link ${link}: it leads outside the repository`);
  for (const [name, target] of kept) {
    const destination = path.join(destDir, name);
    await mkdir(path.dirname(destination), { recursive: true });
    await symlink(target, destination).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
      notes.push(`left out the link ${name} -> ${target}: a file or folder of that name is already there`);
    });
  }
}

/**
 * Unpacks a forge's .tar.gz of one commit into `destDir` (which exists and is empty). Both
 * forges wrap the tree in a top-level folder (`owner-repo-sha/`), which is dropped. Everything
 * in it is a branch's to choose, so: regular files and folders are written, never through a
 * link (links are made last); a symbolic link is kept only if it resolves inside the tree; a
 * hard link becomes a copy of a file already unpacked; devices, FIFOs and paths with `..` are
 * left out; past `limits` the unpacking stops with ArchiveLimitError. Returns what was left out.
 */
export async function extractArchive(archive: Buffer | Readable, destDir: string, limits: ArchiveLimits): Promise<ArchiveNotes> {
  const source = Buffer.isBuffer(archive) ? Readable.from([archive]) : archive;
  const extract = tarStream.extract();
  const unpacked: Unpacked = { files: new Set(), symlinks: new Map(), hardLinks: [], notes: [] };
  const unpacking = unpackEntries(extract, destDir, limits, unpacked);
  // Plain pipes rather than stream.pipeline: tar-stream's streams are streamx ones, and an early
  // stop (a limit reached) must end them all quietly, with the limit as the one error reported.
  const gunzip = createGunzip();
  const fail = (error: Error) => extract.destroy(error);
  source.on('error', fail);
  gunzip.on('error', fail);
  source.pipe(gunzip).pipe(extract as unknown as NodeJS.WritableStream);
  try {
    await unpacking;
  } finally {
    source.unpipe(gunzip);
    gunzip.unpipe();
    gunzip.destroy();
    if ('destroy' in source && typeof source.destroy === 'function') source.destroy();
  }
  await makeLinks(destDir, unpacked);
  const { notes } = unpacked;
  return notes.length > MAX_NOTES ? [...notes.slice(0, MAX_NOTES), `and ${notes.length - MAX_NOTES} more entries left out`] : notes;
}
