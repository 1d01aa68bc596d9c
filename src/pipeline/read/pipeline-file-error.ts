import { isScalar, parseDocument, visit, type CollectionTag, type Document } from 'yaml';
import type { z } from 'zod';
import { lineAt, lineOf, yamlProblem } from '../../util/yaml-problems.js';

/** A pipeline file a person must fix; each problem names the field and, where known, the line. */
export class PipelineFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'PipelineFileError';
  }
}

export interface YamlFile {
  file: string;
  text: string;
  document: Document;
  /** The document as plain data; `{}` for an empty file. */
  data: unknown;
  /** Brought in by another file's `include:`, so its lines are named with the file. */
  included?: boolean;
}

export interface YamlOptions {
  customTags?: CollectionTag[];
  /** GitLab reads a mapping's repeated key as its last value; Slipway's own file refuses it. */
  duplicateKeys?: 'refuse' | 'last wins';
}

/** Parses YAML (with `<<` merge keys, as GitLab reads it); syntax errors throw with their line. */

export function parseYamlFile(file: string, text: string, options: YamlOptions = {}): YamlFile {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: options.duplicateKeys !== 'last wins', merge: true, customTags: options.customTags ?? [] });
  if (document.errors.length > 0) {
    throw new PipelineFileError(file, document.errors.map((error) => yamlProblem(error, text)));
  }
  return { file, text, document, data: document.toJS({ maxAliasCount: 1000 }) ?? {} };
}

/** Keys written twice in one mapping, each with the line of its last writing (the one that counts). */
export function repeatedKeys(yaml: YamlFile): Array<{ key: string; line: number }> {
  const repeated: Array<{ key: string; line: number }> = [];
  visit(yaml.document, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : undefined;
        if (key === undefined || key === '<<') continue;
        if (seen.has(key) && isScalar(pair.key) && pair.key.range) repeated.push({ key: String(key), line: lineAt(yaml.text, pair.key.range[0]) });
        seen.add(key);
      }
    },
  });
  return repeated;
}

/** `field message (line N)`, the shape every pipeline file problem is reported in. */
export function problemAt(yaml: YamlFile, path: readonly PropertyKey[], message: string, isKey = false): string {
  const field = path.map(String).join('.') || 'the file';
  const line = lineOf(yaml, path, isKey);
  const where = line === undefined ? '' : yaml.included ? ` (line ${line} of ${yaml.file})` : ` (line ${line})`;
  return `${field} ${message}${where}`;
}

/** One readable problem per zod issue; an unknown key is reported where the key is written. */
export function describeIssues(yaml: YamlFile, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    if (issue.code !== 'unrecognized_keys') return problemAt(yaml, issue.path, issue.message);
    return issue.keys.map((key) => problemAt(yaml, [...issue.path, key], 'is not a known key', true)).join('; ');
  });
}

type ErrorKind = abstract new (...args: never[]) => Error;

/**
 * Runs one step of reading a file; an error of one of `kinds` (a mistake in the file) becomes
 * what `describe` makes of it, and anything else (a defect) goes on up unchanged.
 */
export function attempt<T, U = T>(step: () => T, kinds: readonly ErrorKind[], describe: (error: Error) => U): T | U {
  try {
    return step();
  } catch (error) {
    if (!kinds.some((kind) => error instanceof kind)) throw error;
    return describe(error as Error);
  }
}
