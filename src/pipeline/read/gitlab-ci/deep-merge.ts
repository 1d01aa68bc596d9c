type Mapping = Record<string, unknown>;

/** Plain mappings only: a `!reference` not yet looked up is a value, never merged into. */
export function isPlainMapping(value: unknown): value is Mapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

export function setOwn(target: Mapping, key: string, value: unknown): void {
  // `__proto__` from a file is a key like any other, never the object's prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Ruby's Hash#deep_merge, as GitLab merges included files and `extends`: mappings merge, anything else (lists too) is replaced. */
export function deepMerge(base: Mapping, over: Mapping): Mapping {
  const merged: Mapping = {};
  for (const [key, value] of Object.entries(base)) setOwn(merged, key, value);
  for (const [key, value] of Object.entries(over)) {
    const existing = Object.hasOwn(merged, key) ? merged[key] : undefined;
    setOwn(merged, key, isPlainMapping(existing) && isPlainMapping(value) ? deepMerge(existing, value) : value);
  }
  return merged;
}

