import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Every manifest type Slipway may meet; the registry answers with the one it stored. */
export const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

export interface Manifest {
  digest: string;
  mediaType: string;
  /** The exact bytes: re-put unchanged, they keep the digest. */
  bytes: Buffer;
}

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export interface RegistryClientOptions {
  /** `host[:port]` as in image references. */
  host: string;
  username?: string;
  password?: string;
}

function baseUrl(host: string): string {
  // Docker itself talks plain HTTP only to loopback registries unless told otherwise.
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
  return `${loopback ? 'http' : 'https'}://${host}/v2`;
}

/** `Bearer realm="…",service="…",scope="…"` -> its parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const [scheme = '', ...rest] = header.trim().split(/\s+/);
  const params: Record<string, string> = {};
  for (const match of rest.join(' ').matchAll(/(\w+)="([^"]*)"/g)) params[match[1]!] = match[2]!;
  return { scheme: scheme.toLowerCase(), params };
}

type Send = (url: string, init?: { method?: string; headers?: Record<string, string>; body?: Uint8Array }) => Promise<Response>;

/**
 * Requests with the client's credentials: basic authentication, and when the registry answers
 * with a Bearer challenge (token authentication, Slipway's own realm included), a token for the
 * scope asked, fetched once per scope while it lasts, and the request tried again once.
 */
function authenticatedSend(options: RegistryClientOptions): Send {
  const basic =
    options.username && options.password ? `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}` : undefined;
  const bearerTokens = new Map<string, { token: string; expiresAt: number }>();

  async function bearerToken(challenge: Record<string, string>): Promise<string> {
    const key = `${challenge.realm} ${challenge.service} ${challenge.scope}`;
    const cached = bearerTokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    if (!challenge.realm) throw new RegistryError('the registry asked for a token but named no realm');
    const url = new URL(challenge.realm);
    if (challenge.service) url.searchParams.set('service', challenge.service);
    if (challenge.scope) url.searchParams.set('scope', challenge.scope);
    const response = await fetch(url, { headers: basic ? { authorization: basic } : {} });
    if (!response.ok) throw new RegistryError(`the registry's token service ${url.origin}${url.pathname} answered ${response.status}: ${await response.text()}`, response.status);
    const body = (await response.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError("the registry's token service answered without a token");
    // Renew a little early, so a token never expires between fetch and use.
    bearerTokens.set(key, { token, expiresAt: Date.now() + Math.max(0, (body.expires_in ?? 60) - 10) * 1000 });
    return token;
  }

  return async (url, init = {}) => {
    const first = await fetch(url, { ...init, headers: { ...init.headers, ...(basic ? { authorization: basic } : {}) } });
    const challenge = parseChallenge(first.headers.get('www-authenticate') ?? '');
    if (first.status !== 401 || challenge.scheme !== 'bearer') return first;
    await first.body?.cancel();
    return fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${await bearerToken(challenge.params)}` } });
  };
}

/** Blobs: there or not, mounted from another repository, pushed, read. */
function blobOperations(base: string, send: Send) {
  const blobs = {
    /** Is the blob already in `repository`? */
    async hasBlob(repository: string, digest: string): Promise<boolean> {
      const response = await send(`${base}/${repository}/blobs/${digest}`, { method: 'HEAD' });
      await response.body?.cancel();
      if (response.status === 404) return false;
      if (!response.ok) throw new RegistryError(`registry answered ${response.status} for blob ${digest} in ${repository}`, response.status);
      return true;
    },
    /**
     * Makes a blob of `from` part of `repository` without moving its bytes (a cross-repository
     * mount); where the registry will not mount, the blob is copied through Slipway.
     */
    async mountBlob(repository: string, digest: string, from: string): Promise<void> {
      const mount = await send(`${base}/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, { method: 'POST' });
      await mount.body?.cancel();
      if (mount.status === 201) return;
      if (mount.status !== 202) throw new RegistryError(`registry refused to mount ${digest} from ${from} into ${repository} (${mount.status})`, mount.status);
      const blob = await send(`${base}/${from}/blobs/${digest}`);
      if (!blob.ok) throw new RegistryError(`registry answered ${blob.status} for blob ${digest} in ${from}`, blob.status);
      const bytes = new Uint8Array(await blob.arrayBuffer());
      const location = new URL(mount.headers.get('location') ?? '', `${base}/`);
      location.searchParams.set('digest', digest);
      const put = await send(location.toString(), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
      if (!put.ok) throw new RegistryError(`registry refused blob ${digest} for ${repository} (${put.status}): ${await put.text()}`, put.status);
    },
    /** Uploads `bytes` as a blob of `repository` in one request (unless it is there already); its digest. */
    async pushBlob(repository: string, bytes: Buffer): Promise<string> {
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      if (await blobs.hasBlob(repository, digest)) return digest;
      const start = await send(`${base}/${repository}/blobs/uploads/`, { method: 'POST' });
      await start.body?.cancel();
      if (start.status !== 202) throw new RegistryError(`registry refused an upload to ${repository} (${start.status})`, start.status);
      const location = new URL(start.headers.get('location') ?? '', `${base}/`);
      location.searchParams.set('digest', digest);
      const put = await send(location.toString(), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) });
      if (!put.ok) throw new RegistryError(`registry refused blob ${digest} for ${repository} (${put.status}): ${await put.text()}`, put.status);
      return digest;
    },
    /** A blob's bytes as a stream. */
    async openBlob(repository: string, digest: string): Promise<NodeJS.ReadableStream> {
      const response = await send(`${base}/${repository}/blobs/${digest}`);
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw new RegistryError(`registry answered ${response.status} for blob ${digest} in ${repository}`, response.status);
      }
      return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
    },
  };
  return blobs;
}

/** Manifests and tags: read, written, deleted, listed. */
function manifestOperations(base: string, send: Send) {
  return {
    async getManifest(repository: string, reference: string): Promise<Manifest | null> {
      const response = await send(`${base}/${repository}/manifests/${reference}`, { headers: { accept: MANIFEST_TYPES.join(', ') } });
      if (response.status === 404) return null;
      if (!response.ok) throw new RegistryError(`registry answered ${response.status} for ${repository}:${reference}`, response.status);
      const bytes = Buffer.from(await response.arrayBuffer());
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      return { digest, mediaType: response.headers.get('content-type') ?? MANIFEST_TYPES[0]!, bytes };
    },
    async putManifest(repository: string, reference: string, manifest: Manifest): Promise<string> {
      const response = await send(`${base}/${repository}/manifests/${reference}`, {
        method: 'PUT',
        headers: { 'content-type': manifest.mediaType },
        body: new Uint8Array(manifest.bytes),
      });
      if (!response.ok) throw new RegistryError(`registry refused ${repository}:${reference} (${response.status}): ${await response.text()}`, response.status);
      return response.headers.get('docker-content-digest') ?? manifest.digest;
    },
    /** Deletes a manifest by digest; false when it was not there. */
    async deleteManifest(repository: string, digest: string): Promise<boolean> {
      const response = await send(`${base}/${repository}/manifests/${digest}`, { method: 'DELETE' });
      await response.body?.cancel();
      if (response.status === 404) return false;
      if (!response.ok) throw new RegistryError(`registry refused to delete ${repository}@${digest} (${response.status})`, response.status);
      return true;
    },
    /** Every tag of a repository (the registry's pages followed); none when it does not exist. */
    async listTags(repository: string): Promise<string[]> {
      const tags: string[] = [];
      let next: string | undefined = `${base}/${repository}/tags/list?n=1000`;
      for (let page = 0; next && page < 100; page += 1) {
        const response = await send(next);
        if (response.status === 404) return tags;
        if (!response.ok) throw new RegistryError(`registry answered ${response.status} listing the tags of ${repository}`, response.status);
        tags.push(...(((await response.json()) as { tags?: string[] | null }).tags ?? []));
        const link = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
        next = link ? new URL(link, base).toString() : undefined;
      }
      return tags;
    },
  };
}

/**
 * A Docker Registry HTTP API v2 client: just what promotion and checks need, with basic or
 * Bearer token authentication (see authenticatedSend).
 */
export function createRegistryClient(options: RegistryClientOptions) {
  const base = baseUrl(options.host);
  const send = authenticatedSend(options);
  return {
    /** Throws unless the registry answers its API's base (200, or 401 asking for credentials). */
    async ping(timeoutMs = 3_000): Promise<void> {
      const response = await fetch(`${base}/`, { signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      if (response.status !== 200 && response.status !== 401) throw new RegistryError(`the registry answered ${response.status} at ${base}/`, response.status);
    },
    ...blobOperations(base, send),
    ...manifestOperations(base, send),
  };
}

export type RegistryClient = ReturnType<typeof createRegistryClient>;
