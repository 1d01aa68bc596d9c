import type { IncomingMessage, ServerResponse } from 'node:http';

export type Params = Record<string, string>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A path such as `/pipelines/:id`; a segment starting with `:` captures one path segment. */
  path: string;
  /** Label for metrics; defaults to the path pattern, never the concrete URL. */
  name?: string;
  handle(request: IncomingMessage, response: ServerResponse, params: Params): Promise<void> | void;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  keys: string[];
}

function compile(route: Route): CompiledRoute {
  const keys: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      keys.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}/?$`), keys };
}

export type Match = { route: Route; params: Params } | { allowed: string[] } | { invalid: string } | undefined;

/** A captured segment as text, or undefined when its percent-encoding is not valid UTF-8. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function createRouter(routes: Route[]) {
  const compiled = routes.map(compile);
  return function match(method: string, pathname: string): Match {
    const allowed: string[] = [];
    for (const route of compiled) {
      const found = route.pattern.exec(pathname);
      if (!found) continue;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        allowed.push(route.method);
        continue;
      }
      const params: Params = {};
      for (const [index, key] of route.keys.entries()) {
        const decoded = decodeSegment(found[index + 1] ?? '');
        if (decoded === undefined) return { invalid: `the path segment for ${key} is not valid percent-encoded UTF-8` };
        params[key] = decoded;
      }
      return { route, params };
    }
    return allowed.length > 0 ? { allowed } : undefined;
  };
}
