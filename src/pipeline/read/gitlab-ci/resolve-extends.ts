/** A problem with `extends`, with the job it was found in. */
export class ExtendsError extends Error {
  constructor(
    readonly job: string,
    message: string,
  ) {
    super(message);
    this.name = 'ExtendsError';
  }
}

import { deepMerge, isPlainMapping as isMapping } from './deep-merge.js';

type Mapping = Record<string, unknown>;

const MAX_DEPTH = 11;


/**
 * Applies `extends` to every top-level job and hidden `.template`, as GitLab does (before
 * `!reference`, so a reference sees what a template inherits): each base is resolved first,
 * in the order listed, then the job's own keys win.
 */
export function resolveExtends(file: Mapping, isJob: (key: string) => boolean): Mapping {
  const resolved = new Map<string, Mapping>();

  function resolve(name: string, chain: string[]): Mapping {
    const done = resolved.get(name);
    if (done) return done;
    const job = file[name];
    if (!isMapping(job)) throw new ExtendsError(chain[0] ?? name, `extends "${name}", which is not a job or template in this pipeline's files`);
    if (chain.includes(name)) throw new ExtendsError(chain[0]!, `extends itself through ${[...chain, name].join(' -> ')}`);
    if (chain.length >= MAX_DEPTH) throw new ExtendsError(chain[0]!, `extends more than ${MAX_DEPTH} levels deep`);
    const { extends: bases, ...own } = job;
    if (bases === undefined) return job;
    const names = typeof bases === 'string' ? [bases] : bases;
    if (!Array.isArray(names) || !names.every((base) => typeof base === 'string')) {
      throw new ExtendsError(chain[0] ?? name, 'extends must be a job name or a list of job names');
    }
    const merged = deepMerge(
      names.reduce<Mapping>((sum, base) => deepMerge(sum, resolve(base, [...chain, name])), {}),
      own,
    );
    resolved.set(name, merged);
    return merged;
  }

  return Object.fromEntries(Object.entries(file).map(([key, value]) => [key, (isJob(key) || key.startsWith('.')) && isMapping(value) ? resolve(key, []) : value]));
}
