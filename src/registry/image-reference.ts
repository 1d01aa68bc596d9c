export interface ImageReference {
  /** `host[:port]` of the registry. */
  registry: string;
  repository: string;
  /** The tag, or the digest for a `repository@sha256:…` reference. */
  reference: string;
}

/** Splits `127.0.0.1:5000/group/app:abc123` (or `…/group/app@sha256:…`) into registry, repository and tag or digest. */
export function parseImageReference(image: string): ImageReference {
  const slash = image.indexOf('/');
  const rest = image.slice(slash + 1);
  const at = rest.indexOf('@');
  const separator = at >= 0 ? at : rest.lastIndexOf(':');
  if (slash <= 0 || separator <= 0) throw new Error(`not a registry image reference with a tag or digest: ${image}`);
  return { registry: image.slice(0, slash), repository: rest.slice(0, separator), reference: rest.slice(separator + 1) };
}

/**
 * Where a pull-through mirror serves a Docker Hub image: `docker:dind` ->
 * `mirror:5000/library/docker:dind`. Null for an image that names its own registry.
 */
export function mirroredReference(image: string, mirrorUrl: string): string | null {
  const first = image.split('/')[0]!;
  const hasRegistry = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return null;
  const path = image.includes('/') ? image : `library/${image}`;
  return `${new URL(mirrorUrl).host}/${path}`;
}

/** `host:5000/app:1` -> `host:5000/app` and `1`; no tag means `latest`, as Docker reads it. Not for `@digest` references. */
export function splitTag(image: string): { repo: string; tag: string } {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? { repo: image.slice(0, colon), tag: image.slice(colon + 1) } : { repo: image, tag: 'latest' };
}
