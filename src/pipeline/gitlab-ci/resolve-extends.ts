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

type Mapping = Record<string, unknown>;

const MAX_DEPTH = 11;

/** Plain mappings only: a `!reference` not yet looked up is a value, never merged into. */
function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** GitLab's merge for `extends`: mappings merge key by key, anything else (lists too) is replaced. */
function deepMerge(base: Mapping, over: Mapping): Mapping {
  const merged: Mapping = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = isMapping(current) && isMapping(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

/**
 * Applies `extends` to every top-level job, as GitLab does: each base (a hidden `.template`
 * or another job) is resolved first, in the order listed, then the job's own keys win.
 */
export function resolveExtends(file: Mapping, isJob: (key: string) => boolean): Mapping {
  const resolved = new Map<string, Mapping>();

  function resolve(name: string, chain: string[]): Mapping {
    const done = resolved.get(name);
    if (done) return done;
    const job = file[name];
    if (!isMapping(job)) throw new ExtendsError(chain[0] ?? name, `extends "${name}", which is not a job or template in the file`);
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

  return Object.fromEntries(Object.entries(file).map(([key, value]) => [key, isJob(key) && isMapping(value) ? resolve(key, []) : value]));
}
