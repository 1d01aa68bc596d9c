/** An image name taken apart the way Docker reads it. */
export interface ImageName {
  /** `host[:port]` when the name starts with one (a first part with `.` or `:`, or `localhost`). */
  registry: string | undefined;
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

/** The one parser of image names: `[registry/]repository[:tag][@digest]`. */
export function parseImageName(image: string): ImageName {
  const at = image.indexOf('@');
  const [name, digest] = at >= 0 ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasRegistry ? name.slice(slash + 1) : name;
  const colon = path.lastIndexOf(':');
  const [repository, tag] = colon > path.lastIndexOf('/') ? [path.slice(0, colon), path.slice(colon + 1)] : [path, undefined];
  return { registry: hasRegistry ? first : undefined, repository, tag, digest };
}

export interface ImageReference {
  /** `host[:port]` of the registry. */
  registry: string;
  repository: string;
  /** The tag, or the digest for a `repository@sha256:…` reference. */
  reference: string;
}

/** `127.0.0.1:5000/group/app:abc123` (or `…/group/app@sha256:…`) as registry, repository and tag or digest. */
export function parseImageReference(image: string): ImageReference {
  const name = parseImageName(image);
  const reference = name.digest ?? name.tag;
  if (!name.registry || !reference) throw new Error(`not a registry image reference with a tag or digest: ${image}`);
  return { registry: name.registry, repository: name.repository, reference };
}

/**
 * Where a pull-through mirror serves a Docker Hub image: `docker:dind` ->
 * `mirror:5000/library/docker:dind`. Null for an image that names its own registry.
 */
export function mirroredReference(image: string, mirrorUrl: string): string | null {
  const name = parseImageName(image);
  if (name.registry) return null;
  const path = name.repository.includes('/') ? name.repository : `library/${name.repository}`;
  return `${new URL(mirrorUrl).host}/${path}${name.tag ? `:${name.tag}` : ''}${name.digest ? `@${name.digest}` : ''}`;
}

/** `host:5000/app:1` -> `host:5000/app` and `1`; no tag means `latest`, as Docker reads it. Not for `@digest` references. */
export function splitTag(image: string): { repo: string; tag: string } {
  const name = parseImageName(image);
  return { repo: `${name.registry ? `${name.registry}/` : ''}${name.repository}`, tag: name.tag ?? 'latest' };
}
