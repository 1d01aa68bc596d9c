import { isMap } from 'yaml';
import { expandVariables } from '../../predefined-variables.js';
import { describeIssues, parseYamlFile, PipelineFileError, problemAt, type YamlFile } from '../pipeline-file-error.js';
import { globRegex } from '../../../util/checkout-globs.js';
import { IncludeRulesSchema } from './gitlab-ci-schema.js';
import { decideWorkflow, type Checkout } from './job-filters.js';
import { deepMerge, isPlainMapping, setOwn } from './deep-merge.js';
import { REFERENCE_TAG } from './resolve-references.js';
import { ExpressionError, parseExpression } from './rule-expression.js';
import { RegexError } from '../../../util/safe-regex.js';

/** GitLab's own bounds: how many files one pipeline may include, and how deeply they may nest. */
export const MAX_INCLUDES = 150;
export const MAX_INCLUDE_DEPTH = 100;

/**
 * What only a forge or the network can give, fetched outside the (pure) reader: a file for
 * `include:`, or the files changed since `base` for `rules:changes` (one per line).
 */
export type IncludeRequest = { kind: 'project'; project: string; ref?: string; file: string } | { kind: 'remote'; url: string } | { kind: 'changes'; base: string };

/** A fetched include: its text, or one line saying why it could not be had. */
export type FetchedInclude = { text: string } | { error: string };

export function requestKey(request: IncludeRequest): string {
  if (request.kind === 'changes') return `changes ${request.base}`;
  return request.kind === 'remote' ? `remote ${request.url}` : `project ${request.project}@${request.ref ?? ''}:${request.file}`;
}

/** The reader asks for these before it can go on; the caller fetches them and reads again. */
export class IncludesNeeded extends Error {
  constructor(readonly requests: IncludeRequest[]) {
    super(`the pipeline file includes ${requests.length} file(s) not fetched yet`);
    this.name = 'IncludesNeeded';
  }
}

/** Where included files come from: this commit's files, and what was fetched for earlier readings. */
export interface IncludeSources {
  /** A file of this commit, or undefined when it is not there; throws a PipelineFileError when it may not be read. */
  readLocal(path: string): string | undefined;
  /** Every file of this commit, for `local:` globs. */
  localFiles(): readonly string[];
  fetched: ReadonlyMap<string, FetchedInclude>;
}

/** The main file and what it includes, merged as GitLab merges them, with where each part was written. */
export interface IncludedConfig {
  data: Record<string, unknown>;
  /** The file a path of the merged data was written in (for lines in messages). */
  fileOf(path: readonly PropertyKey[]): YamlFile;
  /** Every file read, the main one last. */
  files: YamlFile[];
  /** Includes Slipway does not read (`component:`), each with where it is written. */
  unread: Array<{ file: YamlFile; path: PropertyKey[]; what: string }>;
}

type Mapping = Record<string, unknown>;

function withoutInclude(data: Mapping): Mapping {
  const rest: Mapping = {};
  for (const [key, value] of Object.entries(data)) if (key !== 'include') setOwn(rest, key, value);
  return rest;
}

/** Where a file sits: the main project's commit, or another project at a ref (whose `local:` means that project). */
interface Place {
  project?: { project: string; ref?: string };
  /** The files that included this one, for cycles and depth. */
  chain: string[];
}

/** One file an include brought, and the project it came from when not this one. */
type Included = { name: string; text: string; project?: Place['project'] };

type Entry = { at: PropertyKey[]; value: unknown };

function entriesOf(include: unknown): Entry[] {
  if (Array.isArray(include)) return include.map((value, index) => ({ at: ['include', index], value }));
  return [{ at: ['include'], value: include }];
}

const IS_URL = /^https?:\/\//i;
const YAML_NAME = /\.ya?ml$/i;

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads a `.gitlab-ci.yml`'s `include:` tree into one configuration, as GitLab does: every
 * included file (its own includes first) is deep-merged in order, and the including file is
 * merged over them. Local files come from the commit; project and remote ones from `fetched`,
 * and when some are not there yet, it throws IncludesNeeded listing all of them at once.
 * `variables` expand in paths and decide `rules`; a job's or the file's own variables do not,
 * as in GitLab.
 */
export function resolveIncludes(main: YamlFile, sources: IncludeSources | undefined, variables: Record<string, string>, checkout?: Checkout): IncludedConfig {
  const files: YamlFile[] = [];
  const unread: IncludedConfig['unread'] = [];
  const problems: string[] = [];
  const needed = new Map<string, IncludeRequest>();
  const definedIn = new Map<string, YamlFile[]>();
  let count = 0;

  const note = (yaml: YamlFile, data: Mapping) => {
    for (const key of Object.keys(data)) definedIn.set(key, [...(definedIn.get(key) ?? []), yaml]);
  };

  const expand = (value: string) => expandVariables(value, variables);

  /** The text of one include, or undefined (with a problem or a request recorded). */
  const obtain = (yaml: YamlFile, at: PropertyKey[], request: IncludeRequest): string | undefined => {
    const fetched = sources?.fetched.get(requestKey(request));
    if (fetched === undefined) {
      needed.set(requestKey(request), request);
      return undefined;
    }
    if ('error' in fetched) {
      problems.push(problemAt(yaml, at, `could not be read: ${fetched.error}`));
      return undefined;
    }
    return fetched.text;
  };

  const readLocal = (yaml: YamlFile, at: PropertyKey[], written: string, place: Place): Included[] => {
    const wanted = expand(written).replace(/^\/+/, '');
    if (wanted === '') {
      problems.push(problemAt(yaml, at, `is empty${written === '' ? '' : ` once its variables are expanded (${written})`}: name a file of the repository, such as ci/build.yml`));
      return [];
    }
    const isGlob = /[*?[{]/.test(wanted);
    if (!isGlob && !YAML_NAME.test(wanted)) {
      problems.push(problemAt(yaml, at, `names ${wanted}: an included file must end in .yml or .yaml`));
      return [];
    }
    if (place.project) {
      const request: IncludeRequest = { kind: 'project', ...place.project, file: wanted };
      const fetched = obtain(yaml, at, request);
      return fetched === undefined ? [] : [{ name: `${place.project.project}:${wanted}`, text: fetched, project: place.project }];
    }
    if (!sources) {
      problems.push(problemAt(yaml, at, 'cannot be read here: no commit to read it from'));
      return [];
    }
    if (isGlob) {
      let pattern;
      try {
        pattern = globRegex(wanted);
      } catch (error) {
        if (!(error instanceof RegexError)) throw error;
        problems.push(problemAt(yaml, at, `is not a glob Slipway understands: ${error.message}`));
        return [];
      }
      // A glob includes the matching YAML files in name order; none matching is not an error in GitLab.
      return sources
        .localFiles()
        .filter((file) => YAML_NAME.test(file) && pattern.test(file))
        .sort()
        .map((file) => ({ name: file, text: sources.readLocal(file) ?? '' }));
    }
    const found = sources.readLocal(wanted);
    if (found === undefined) {
      problems.push(problemAt(yaml, at, `names ${wanted}, which is not in this commit: add the file or fix the path`));
      return [];
    }
    return [{ name: wanted, text: found }];
  };

  const process = (yaml: YamlFile, place: Place): Mapping => {
    const data = yaml.data as Mapping;
    let merged: Mapping = {};
    if (data.include === undefined || data.include === null) return merged;
    for (const { at, value } of entriesOf(data.include)) {
      const entry: Mapping = typeof value === 'string' ? (IS_URL.test(value) ? { remote: value } : { local: value }) : isPlainMapping(value) ? value : {};
      if (typeof value !== 'string' && !isPlainMapping(value)) {
        problems.push(problemAt(yaml, at, 'must be a file path, a URL, or a mapping with local, project, remote or template'));
        continue;
      }
      const entryAt = typeof value === 'string' ? at : [...at, Object.keys(entry).find((key) => key !== 'rules' && key !== 'inputs') ?? 'local'];
      if (entry.rules !== undefined) {
        const rules = IncludeRulesSchema.safeParse(entry.rules);
        if (!rules.success) {
          problems.push(...describeIssues(yaml, rules.error.issues.map((issue) => ({ ...issue, path: [...at, 'rules', ...issue.path] }))));
          continue;
        }
        const unreadable = rules.data.flatMap((rule, index) => {
          try {
            if (rule.if !== undefined) parseExpression(rule.if);
            return [];
          } catch (error) {
            if (!(error instanceof ExpressionError) && !(error instanceof RegexError)) throw error;
            return [problemAt(yaml, [...at, 'rules', index, 'if'], `is not an expression Slipway understands: ${error.message}`)];
          }
        });
        if (unreadable.length > 0) {
          problems.push(...unreadable);
          continue;
        }
        let decided;
        try {
          // Include rules read as workflow rules do: the first match decides, and none matching leaves the file out.
          decided = decideWorkflow(rules.data, variables, checkout).run;
        } catch (error) {
          if (!(error instanceof ExpressionError) && !(error instanceof RegexError)) throw error;
          problems.push(problemAt(yaml, [...at, 'rules'], `cannot be decided: ${error.message}`));
          continue;
        }
        if (!decided) continue;
      }
      let texts: Included[] = [];
      if (text(entry.local) !== undefined) {
        texts = readLocal(yaml, entryAt, text(entry.local)!, place);
      } else if (text(entry.project) !== undefined) {
        const project = expand(text(entry.project)!).replace(/^\/+|\/+$/g, '');
        const ref = text(entry.ref) === undefined ? undefined : expand(text(entry.ref)!);
        const named = Array.isArray(entry.file) ? entry.file : [entry.file];
        if (named.length === 0 || named.some((file) => typeof file !== 'string' || file === '')) {
          problems.push(problemAt(yaml, [...at, 'file'], 'must name the file (or a list of files) to include from the project'));
          continue;
        }
        for (const [index, file] of (named as string[]).entries()) {
          const wanted = expand(file).replace(/^\/+/, '');
          const fileAt = Array.isArray(entry.file) ? [...at, 'file', index] : [...at, 'file'];
          if (!YAML_NAME.test(wanted)) {
            problems.push(problemAt(yaml, fileAt, `names ${wanted}: an included file must end in .yml or .yaml`));
            continue;
          }
          const fetched = obtain(yaml, fileAt, { kind: 'project', project, ...(ref === undefined ? {} : { ref }), file: wanted });
          if (fetched !== undefined) texts.push({ name: `${project}:${wanted}`, text: fetched });
        }
        for (const each of texts) each.project = { project, ...(ref === undefined ? {} : { ref }) };
      } else if (text(entry.remote) !== undefined) {
        const url = expand(text(entry.remote)!);
        if (!IS_URL.test(url)) {
          problems.push(problemAt(yaml, entryAt, `is not an http(s) URL: ${url}`));
          continue;
        }
        const fetched = obtain(yaml, entryAt, { kind: 'remote', url });
        if (fetched !== undefined) texts = [{ name: url, text: fetched }];
      } else if (text(entry.template) !== undefined) {
        problems.push(
          problemAt(yaml, entryAt, `includes GitLab's template ${text(entry.template)}, which only GitLab has: copy the template into the repository and include it with local:`),
        );
        continue;
      } else if (text(entry.component) !== undefined) {
        unread.push({ file: yaml, path: entryAt, what: `include:component ${text(entry.component)}` });
        continue;
      } else if (entry.artifact !== undefined) {
        problems.push(problemAt(yaml, entryAt, 'includes a job artifact, which only a child pipeline (trigger:include) may do'));
        continue;
      } else {
        problems.push(problemAt(yaml, at, 'must have local, project (with file), remote or template'));
        continue;
      }
      for (const included of texts) {
        // A file from another project reads its own `local:` includes from that project.
        const project = included.project ?? place.project;
        const innerPlace: Place = { ...(project ? { project } : {}), chain: [...place.chain, included.name] };
        if (place.chain.includes(included.name)) {
          problems.push(problemAt(yaml, entryAt, `includes ${included.name} through itself (${[...place.chain, included.name].join(' -> ')})`));
          continue;
        }
        if (innerPlace.chain.length > MAX_INCLUDE_DEPTH) {
          problems.push(problemAt(yaml, entryAt, `nests includes more than ${MAX_INCLUDE_DEPTH} deep`));
          continue;
        }
        count += 1;
        if (count > MAX_INCLUDES) {
          problems.push(problemAt(yaml, entryAt, `is past the ${MAX_INCLUDES} files a pipeline may include`));
          return merged;
        }
        const file = parseIncluded(included.name, included.text, yaml, entryAt, problems);
        if (!file) continue;
        const own = withoutInclude(file.data as Mapping);
        merged = deepMerge(merged, deepMerge(process(file, innerPlace), own));
        note(file, own);
        files.push(file);
      }
    }
    return merged;
  };

  const data = deepMerge(process(main, { chain: [main.file] }), withoutInclude(main.data as Mapping));
  note(main, withoutInclude(main.data as Mapping));
  files.push(main);
  if (problems.length > 0) throw new PipelineFileError(main.file, problems);
  if (needed.size > 0) throw new IncludesNeeded([...needed.values()]);

  const fileOf = (path: readonly PropertyKey[]): YamlFile => {
    const key = path[0];
    const candidates = typeof key === 'string' ? (definedIn.get(key) ?? []) : [];
    return [...candidates].reverse().find((file) => file.document.hasIn(path as unknown[])) ?? candidates.at(-1) ?? main;
  };
  return { data, fileOf, files, unread };
}

/** An included file read as GitLab reads the main one; a mistake in it names the file. */
function parseIncluded(name: string, text: string, includer: YamlFile, at: PropertyKey[], problems: string[]): YamlFile | undefined {
  let file: YamlFile;
  try {
    file = { ...parseYamlFile(name, text, { customTags: [REFERENCE_TAG], duplicateKeys: 'last wins' }), included: true };
  } catch (error) {
    if (!(error instanceof PipelineFileError)) throw error;
    problems.push(...error.problems.map((problem) => `${name} ${problem}`));
    return undefined;
  }
  if (!isMap(file.document.contents) && file.document.contents !== null) {
    problems.push(problemAt(includer, at, `includes ${name}, which is not a mapping of jobs and keywords`));
    return undefined;
  }
  return file;
}
