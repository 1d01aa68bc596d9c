import { expandVariables } from './predefined-variables.js';
import type { ServiceSpec } from './plan.js';

/** `docker:dind`, `docker:24.0.5-dind`, `docker:dind-rootless`, with or without a registry in front. */
const DIND_SERVICE = /^(?:[^\s/]+\/)*docker:(?:[\w.-]+-)?dind(?:-rootless)?(?:@sha256:[a-f0-9]{64})?$/;

/** A service that asks for a Docker daemon: every pipeline already has its own, so it is not started. */
export function isDindService(image: string): boolean {
  return DIND_SERVICE.test(image);
}

/** What a host name in `/etc/hosts` may be; an alias outside this is refused with its line. */
export const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,252})$/;

/**
 * GitLab's default host names for a service image: the name without tag or digest, with `/`
 * as `__` and as `-` (`tutum/wordpress:latest` -> `tutum__wordpress`, `tutum-wordpress`).
 */
export function defaultServiceNames(image: string): string[] {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  const name = colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
  return [...new Set([name.replaceAll('/', '__'), name.replaceAll('/', '-')])].filter((alias) => HOST_NAME.test(alias));
}

/** A service ready to start: image expanded, every host name known, variables expanded over the job's. */
export interface ResolvedService {
  /** For messages and the page: the first alias, which is what people write in their config. */
  name: string;
  image: string;
  hostNames: string[];
  entrypoint?: string[];
  command?: string[];
  env: Record<string, string>;
}

/**
 * A job's services with everything the executor needs. As in GitLab, a service gets the job's
 * variables, then its own.
 */
export function resolveServices(services: readonly ServiceSpec[], jobEnv: Record<string, string>): ResolvedService[] {
  return services.map((service) => {
    const image = expandVariables(service.image, jobEnv);
    const env = { ...jobEnv };
    for (const [name, value] of Object.entries(service.variables)) env[name] = expandVariables(value, env);
    const hostNames = [...new Set([...defaultServiceNames(image), ...service.aliases])];
    return {
      name: service.aliases[0] ?? hostNames[0] ?? image,
      image,
      hostNames,
      ...(service.entrypoint ? { entrypoint: service.entrypoint } : {}),
      ...(service.command ? { command: service.command } : {}),
      env,
    };
  });
}
