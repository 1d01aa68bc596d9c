import { createHash } from 'node:crypto';

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

/** A Docker Registry HTTP API v2 client: just what promotion and checks need. */
export function createRegistryClient(options: RegistryClientOptions) {
  const base = baseUrl(options.host);
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...extra,
    ...(options.username && options.password
      ? { authorization: `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}` }
      : {}),
  });

  return {
    async getManifest(repository: string, reference: string): Promise<Manifest | null> {
      const response = await fetch(`${base}/${repository}/manifests/${reference}`, { headers: headers({ accept: MANIFEST_TYPES.join(', ') }) });
      if (response.status === 404) return null;
      if (!response.ok) throw new RegistryError(`registry answered ${response.status} for ${repository}:${reference}`, response.status);
      const bytes = Buffer.from(await response.arrayBuffer());
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      return { digest, mediaType: response.headers.get('content-type') ?? MANIFEST_TYPES[0]!, bytes };
    },

    async putManifest(repository: string, reference: string, manifest: Manifest): Promise<string> {
      const response = await fetch(`${base}/${repository}/manifests/${reference}`, {
        method: 'PUT',
        headers: headers({ 'content-type': manifest.mediaType }),
        body: new Uint8Array(manifest.bytes),
      });
      if (!response.ok) throw new RegistryError(`registry refused ${repository}:${reference} (${response.status}): ${await response.text()}`, response.status);
      return response.headers.get('docker-content-digest') ?? manifest.digest;
    },
  };
}

export type RegistryClient = ReturnType<typeof createRegistryClient>;
