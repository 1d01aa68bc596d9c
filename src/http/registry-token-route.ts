import type { IncomingMessage, ServerResponse } from 'node:http';
import { slipwayRepositories } from '../registry/project-repositories.js';
import { parseScope, type Access, type TokenIssuer } from '../registry/token-issuer.js';
import type { JobTokenStore } from '../store/job-token-store.js';
import { sendJson } from './respond.js';
import type { Route } from './router.js';
import { tokensMatch } from '../util/tokens-match.js';

export const REGISTRY_TOKEN_PATH = '/registry/token';

export interface RegistryTokenRouteOptions {
  issuer: TokenIssuer;
  jobTokens: JobTokenStore;
  /** Slipway's own registry account (SLIPWAY_REGISTRY_USER/PASSWORD): every scope it asks for. */
  admin?: { user: string; password: string };
}

function basicCredentials(request: IncomingMessage): { user: string; password: string } | null {
  const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * A project owns its repository and those under it (`group/project/tools`), as in GitLab's
 * registry, except those Slipway keeps there (environments, artifacts, caches): only Slipway's
 * own account writes there, so a job cannot move an environment or poison a cache.
 */
function ownsRepository(repository: string, name: string): boolean {
  if (slipwayRepositories(repository).some((reserved) => name === reserved || name.startsWith(`${reserved}/`))) return false;
  return name === repository || name.startsWith(`${repository}/`);
}

/** Docker reads `errors` (the registry's error shape); `error` is Slipway's own. */
function refuse(response: ServerResponse, status: number, code: string, message: string): void {
  if (status === 401) response.setHeader('www-authenticate', 'Basic realm="Slipway registry"');
  sendJson(response, status, { error: message, errors: [{ code, message }] });
}

/**
 * `GET /registry/token`: the token realm of a registry that trusts Slipway. A pipeline's
 * `CI_JOB_TOKEN` gets its own project's repository only, and only while the pipeline runs;
 * any other scope is granted nothing, which the registry answers with "denied".
 */
export function registryTokenRoute(options: RegistryTokenRouteOptions): Route {
  return {
    method: 'GET',
    path: REGISTRY_TOKEN_PATH,
    async handle(request, response) {
      let url: URL;
      try {
        url = new URL(request.url ?? '/', 'http://slipway');
      } catch {
        refuse(response, 400, 'INVALID_REQUEST', 'the request target is not a valid URL');
        return;
      }
      const service = url.searchParams.get('service');
      if (service !== null && service !== options.issuer.service) {
        refuse(response, 400, 'INVALID_REQUEST', `unknown service "${service}": this Slipway issues tokens for "${options.issuer.service}" (SLIPWAY_REGISTRY_TOKEN_SERVICE)`);
        return;
      }
      const requested: Access[] = [];
      for (const scope of url.searchParams.getAll('scope').flatMap((value) => value.split(' ')).filter(Boolean)) {
        const access = parseScope(scope);
        if (!access) {
          refuse(response, 400, 'INVALID_REQUEST', `"${scope}" is not a scope: expected type:name:actions, such as repository:group/project:pull`);
          return;
        }
        requested.push(access);
      }
      const credentials = basicCredentials(request);
      if (!credentials) {
        refuse(response, 401, 'UNAUTHORIZED', 'log in first: docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"');
        return;
      }
      const { admin } = options;
      if (admin && tokensMatch(credentials.user, admin.user) && tokensMatch(credentials.password, admin.password)) {
        sendToken(response, await options.issuer.issue(credentials.user, requested));
        return;
      }
      const grant = await options.jobTokens.lookup(credentials.password);
      if (!grant) {
        refuse(response, 401, 'UNAUTHORIZED', 'the job token is not valid: it is unknown, or its pipeline is no longer running');
        return;
      }
      const granted = requested.map((access) => ({
        ...access,
        actions: access.type === 'repository' && ownsRepository(grant.repository, access.name) ? access.actions.filter((action) => grant.actions.includes(action)) : [],
      }));
      sendToken(response, await options.issuer.issue(`pipeline-${grant.pipelineId}`, granted));
    },
  };
}

function sendToken(response: ServerResponse, issued: { token: string; expiresIn: number; issuedAt: string }): void {
  sendJson(response, 200, { token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt });
}
