import { isScalar, YAMLSeq, type CollectionTag } from 'yaml';

/** A `!reference [.template, key, …]` as read from the file, before it is looked up. */
export class YamlReference {
  constructor(readonly path: string[]) {}
}

/** A `!reference` that cannot be resolved, with where it is written. */
export class ReferenceError extends Error {
  constructor(
    readonly at: PropertyKey[],
    message: string,
  ) {
    super(message);
    this.name = 'ReferenceError';
  }
}

/** GitLab's `!reference` tag: a sequence of keys, each a string or a list index. */
export const REFERENCE_TAG: CollectionTag = {
  tag: '!reference',
  collection: 'seq',
  nodeClass: YAMLSeq,
  resolve(seq, onError) {
    const path = (seq as YAMLSeq).items.map((item) => (isScalar(item) && (typeof item.value === 'string' || typeof item.value === 'number') ? String(item.value) : undefined));
    if (path.length === 0 || path.some((key) => key === undefined)) onError('!reference must list keys, such as !reference [.setup, script]');
    return new YamlReference(path as string[]) as unknown as YAMLSeq;
  },
};

/** GitLab allows references to references this many levels deep. */
const MAX_DEPTH = 10;

function lookUp(root: Record<string, unknown>, path: string[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (Array.isArray(current)) current = /^\d+$/.test(key) ? current[Number(key)] : undefined;
    else if (typeof current === 'object' && current !== null && Object.hasOwn(current, key)) current = (current as Record<string, unknown>)[key];
    else return undefined;
  }
  return current;
}

/** Keys whose lists GitLab flattens itself, counting each list in a list towards its limit of ten. */
const SCRIPT_KEYS = new Set(['script', 'before_script', 'after_script']);

/** The key a value sits under (a list's index aside): `script` for `[job, script, 2]`. */
const keyOf = (at: PropertyKey[]) => at.findLast((key) => typeof key === 'string');

/**
 * Replaces every `!reference` with a copy of what it names, as GitLab does once `extends` is
 * applied. A reference inside a list that names a list is spliced in (rules, needs), except in a
 * script: there GitLab keeps the list in the list, so each reference counts as a level of
 * nesting (ten at most), and the script's own flattening does the rest.
 */
export function resolveReferences(file: Record<string, unknown>): Record<string, unknown> {
  // Inside what a reference names, problems are reported where the reference is written.
  const inside = (at: PropertyKey[], key: PropertyKey, chain: string[]) => (chain.length > 0 ? at : [...at, key]);
  function resolve(value: unknown, at: PropertyKey[], chain: string[]): unknown {
    if (value instanceof YamlReference) {
      const name = value.path.join('.');
      if (chain.includes(name)) throw new ReferenceError(at, `refers to ${name} through itself (${[...chain, name].join(' -> ')})`);
      if (chain.length >= MAX_DEPTH) throw new ReferenceError(at, `nests !reference more than ${MAX_DEPTH} levels deep`);
      const target = lookUp(file, value.path);
      if (target === undefined) throw new ReferenceError(at, `refers to ${name}, which is not in this pipeline's files`);
      return resolve(target, at, [...chain, name]);
    }
    if (Array.isArray(value)) {
      const splices = !SCRIPT_KEYS.has(String(keyOf(at)));
      return value.flatMap((item, index) => {
        const resolved = resolve(item, inside(at, index, chain), chain);
        return splices && item instanceof YamlReference && Array.isArray(resolved) ? resolved : [resolved];
      });
    }
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, inside(at, key, chain), chain)]));
    }
    return value;
  }
  return resolve(file, [], []) as Record<string, unknown>;
}
