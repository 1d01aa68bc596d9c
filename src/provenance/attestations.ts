import { createHash } from 'node:crypto';
import type { Envelope } from './dsse.js';
import type { RegistryClient } from '../registry/registry-client.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DSSE_LAYER = 'application/vnd.dsse.envelope.v1+json';

/** Where cosign keeps an image's attestations: `sha256-<hex>.att` beside it in its repository. */
export function attestationTag(digest: string): string {
  return `${digest.replace(':', '-')}.att`;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The most attestations kept per image: the newest, as several pipelines may build the same digest. */
const MAX_LAYERS = 20;

interface Layer {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/**
 * Adds `envelope` to the image's attestations in cosign's layout: an OCI image manifest with one
 * layer per DSSE envelope, each with the annotations cosign reads (`predicateType`, and an empty
 * `dev.cosignproject.cosign/signature`, the signature being inside the envelope). Those already
 * there stay: two pipelines (a branch and main, with a warm cache) may build the very same digest.
 */
export async function writeAttestation(registry: RegistryClient, repository: string, digest: string, envelope: Envelope, predicateType: string): Promise<void> {
  const layer = Buffer.from(JSON.stringify(envelope));
  const layerDigest = sha256(layer);
  const existing = await registry.getManifest(repository, attestationTag(digest));
  const earlier = existing ? ((JSON.parse(existing.bytes.toString('utf8')) as { layers?: Layer[] }).layers ?? []).filter((each) => each.mediaType === DSSE_LAYER && each.digest !== layerDigest) : [];
  const layers: Layer[] = [...earlier, { mediaType: DSSE_LAYER, digest: layerDigest, size: layer.length, annotations: { 'dev.cosignproject.cosign/signature': '', predicateType } }].slice(-MAX_LAYERS);
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((each) => each.digest) } }));
  await Promise.all([registry.pushBlob(repository, config), registry.pushBlob(repository, layer)]);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers,
    }),
  );
  await registry.putManifest(repository, attestationTag(digest), { mediaType: OCI_MANIFEST, bytes, digest: sha256(bytes) });
}

/** The DSSE envelopes attached to `digest`; empty when it has none. */
export async function readAttestations(registry: RegistryClient, repository: string, digest: string): Promise<Envelope[]> {
  const manifest = await registry.getManifest(repository, attestationTag(digest));
  if (!manifest) return [];
  const layers = (JSON.parse(manifest.bytes.toString('utf8')) as { layers?: Array<{ mediaType?: string; digest?: string }> }).layers ?? [];
  const envelopes: Envelope[] = [];
  for (const layer of layers) {
    if (layer.mediaType !== DSSE_LAYER || !layer.digest) continue;
    const chunks: Buffer[] = [];
    for await (const chunk of await registry.openBlob(repository, layer.digest)) chunks.push(Buffer.from(chunk as Buffer));
    try {
      envelopes.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Envelope);
    } catch {
      // A layer that is not JSON is no envelope of ours.
    }
  }
  return envelopes;
}
