import { isMap } from 'yaml';
import { expandVariables } from '../../predefined-variables.js';
import { attempt, describeIssues, parseYamlFile, PipelineFileError, problemAt, type YamlFile } from '../pipeline-file-error.js';
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
  /** The file of an earlier job's artifacts a generated child is read from (the trigger job brought it). */
  artifact?: { job: string; file: string; text: string };
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

/**
 * GitLab's two workflow templates, read by name: Slipway's own rules doing what GitLab's
 * documentation says each does (GitLab's template files are not ours to copy). Merge request
 * pipelines, tags and the default branch; or every branch and tag, and no merge request pipelines.
 */
const WORKFLOW_TEMPLATES: ReadonlyMap<string, string> = new Map([
  ['Workflows/MergeRequest-Pipelines.gitlab-ci.yml', 'workflow:\n  rules:\n    - if: $CI_MERGE_REQUEST_IID\n    - if: $CI_COMMIT_TAG\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n'],
  ['Workflows/Branch-Pipelines.gitlab-ci.yml', 'workflow:\n  rules:\n    - if: $CI_COMMIT_TAG\n    - if: $CI_COMMIT_BRANCH\n'],
]);

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
  return new IncludeTree(main, sources, variables, checkout).resolve();
}

/** One reading of an include tree: what it found, what is wrong, and what it still needs fetched. */
class IncludeTree {
  private readonly files: YamlFile[] = [];
  private readonly unread: IncludedConfig['unread'] = [];
  private readonly problems: string[] = [];
  private readonly needed = new Map<string, IncludeRequest>();
  private readonly definedIn = new Map<string, YamlFile[]>();
  private count = 0;

  constructor(
    private readonly main: YamlFile,
    private readonly sources: IncludeSources | undefined,
    private readonly variables: Record<string, string>,
    private readonly checkout: Checkout | undefined,
  ) {}

  resolve(): IncludedConfig {
    const { main } = this;
    const data = deepMerge(this.process(main, { chain: [main.file] }), this.record(main));
    if (this.problems.length > 0) throw new PipelineFileError(main.file, this.problems);
    if (this.needed.size > 0) throw new IncludesNeeded([...this.needed.values()]);
    const fileOf = (path: readonly PropertyKey[]): YamlFile => {
      const key = path[0];
      const candidates = typeof key === 'string' ? (this.definedIn.get(key) ?? []) : [];
      return [...candidates].reverse().find((file) => file.document.hasIn(path as unknown[])) ?? candidates.at(-1) ?? main;
    };
    return { data, fileOf, files: this.files, unread: this.unread };
  }

  /** A file's own keys (its includes aside), remembered as written there for the lines in messages. */
  private record(yaml: YamlFile): Mapping {
    const own = withoutInclude(yaml.data as Mapping);
    for (const key of Object.keys(own)) this.definedIn.set(key, [...(this.definedIn.get(key) ?? []), yaml]);
    this.files.push(yaml);
    return own;
  }

  private problem(yaml: YamlFile, at: readonly PropertyKey[], message: string): void {
    this.problems.push(problemAt(yaml, at, message));
  }

  private expand(value: string): string {
    return expandVariables(value, this.variables);
  }

  /** What a file's includes bring, merged in order, each under the files it includes itself. */
  private process(yaml: YamlFile, place: Place): Mapping {
    const data = yaml.data as Mapping;
    let merged: Mapping = {};
    if (data.include === undefined || data.include === null) return merged;
    for (const { at, value } of entriesOf(data.include)) {
      if (typeof value !== 'string' && !isPlainMapping(value)) {
        this.problem(yaml, at, 'must be a file path, a URL, or a mapping with local, project, remote or template');
        continue;
      }
      const entry: Mapping = typeof value === 'string' ? (IS_URL.test(value) ? { remote: value } : { local: value }) : value;
      const entryAt = typeof value === 'string' ? at : [...at, Object.keys(entry).find((key) => key !== 'rules' && key !== 'inputs') ?? 'local'];
      if (entry.rules !== undefined && !this.rulesInclude(yaml, at, entry.rules)) continue;
      for (const included of this.textsOf(yaml, at, entryAt, entry, place)) {
        const file = this.nested(yaml, entryAt, included, place);
        if (file === 'too many') return merged;
        if (file) merged = deepMerge(merged, deepMerge(this.process(file.yaml, file.place), this.record(file.yaml)));
      }
    }
    return merged;
  }

  /** An included file, parsed, with where it sits; undefined (and a problem) for a cycle, too deep a nest or a bad file; 'too many' past GitLab's bound. */
  private nested(yaml: YamlFile, at: PropertyKey[], included: Included, place: Place): { yaml: YamlFile; place: Place } | 'too many' | undefined {
    // A file from another project reads its own `local:` includes from that project.
    const project = included.project ?? place.project;
    const inner: Place = { ...(project ? { project } : {}), chain: [...place.chain, included.name] };
    if (place.chain.includes(included.name)) {
      this.problem(yaml, at, `includes ${included.name} through itself (${inner.chain.join(' -> ')})`);
      return undefined;
    }
    if (inner.chain.length > MAX_INCLUDE_DEPTH) {
      this.problem(yaml, at, `nests includes more than ${MAX_INCLUDE_DEPTH} deep`);
      return undefined;
    }
    this.count += 1;
    if (this.count > MAX_INCLUDES) {
      this.problem(yaml, at, `is past the ${MAX_INCLUDES} files a pipeline may include`);
      return 'too many';
    }
    const file = parseIncluded(included.name, included.text, yaml, at, this.problems);
    return file && { yaml: file, place: inner };
  }

  /** Whether an include's `rules` keep it, read as workflow rules are: the first match decides, none matching leaves it out. */
  private rulesInclude(yaml: YamlFile, at: PropertyKey[], written: unknown): boolean {
    const rules = IncludeRulesSchema.safeParse(written);
    if (!rules.success) {
      this.problems.push(...describeIssues(yaml, rules.error.issues.map((issue) => ({ ...issue, path: [...at, 'rules', ...issue.path] }))));
      return false;
    }
    const unreadable = rules.data.flatMap((rule, index) =>
      attempt(
        () => (rule.if === undefined ? [] : (parseExpression(rule.if), [])),
        [ExpressionError, RegexError],
        (error) => [problemAt(yaml, [...at, 'rules', index, 'if'], `is not an expression Slipway understands: ${error.message}`)],
      ),
    );
    this.problems.push(...unreadable);
    if (unreadable.length > 0) return false;
    return attempt(
      () => decideWorkflow(rules.data, this.variables, this.checkout).run,
      [ExpressionError, RegexError],
      (error) => (this.problem(yaml, [...at, 'rules'], `cannot be decided: ${error.message}`), false),
    );
  }

  /** The files one `include:` entry brings, by its kind. */
  private textsOf(yaml: YamlFile, at: PropertyKey[], entryAt: PropertyKey[], entry: Mapping, place: Place): Included[] {
    if (text(entry.local) !== undefined) return this.readLocal(yaml, entryAt, text(entry.local)!, place);
    if (text(entry.project) !== undefined) return this.readProject(yaml, at, entry);
    if (text(entry.remote) !== undefined) return this.readRemote(yaml, entryAt, text(entry.remote)!);
    if (text(entry.template) !== undefined) {
      const rules = WORKFLOW_TEMPLATES.get(text(entry.template)!);
      if (rules !== undefined) return [{ name: `template:${text(entry.template)}`, text: rules }];
      this.problem(
        yaml,
        entryAt,
        `includes GitLab's template ${text(entry.template)}, which only GitLab has: copy the template into the repository and include it with local: (of GitLab's templates Slipway knows only ${[...WORKFLOW_TEMPLATES.keys()].join(' and ')}, by name)`,
      );
    } else if (text(entry.component) !== undefined) {
      this.unread.push({ file: yaml, path: entryAt, what: `include:component ${text(entry.component)}` });
    } else if (entry.artifact !== undefined) {
      return this.readArtifact(yaml, entryAt, entry);
    } else {
      this.problem(yaml, at, 'must have local, project (with file), remote or template');
    }
    return [];
  }

  /**
   * An earlier job's file, which only the reading of a generated child is given (the trigger job
   * brought it from the artifacts): anywhere else, GitLab's refusal.
   */
  private readArtifact(yaml: YamlFile, at: PropertyKey[], entry: Mapping): Included[] {
    const artifact = this.sources?.artifact;
    if (!artifact || artifact.job !== text(entry.job) || artifact.file !== text(entry.artifact)) {
      this.problem(yaml, at, 'includes a job artifact, which only a child pipeline (trigger:include) may do');
      return [];
    }
    return [{ name: `${artifact.file} (artifact of ${artifact.job})`, text: artifact.text }];
  }

  /** The text of one include, or undefined (with a problem or a request recorded). */
  private obtain(yaml: YamlFile, at: PropertyKey[], request: IncludeRequest): string | undefined {
    const fetched = this.sources?.fetched.get(requestKey(request));
    if (fetched === undefined) {
      this.needed.set(requestKey(request), request);
      return undefined;
    }
    if ('error' in fetched) {
      this.problem(yaml, at, `could not be read: ${fetched.error}`);
      return undefined;
    }
    return fetched.text;
  }

  private readLocal(yaml: YamlFile, at: PropertyKey[], written: string, place: Place): Included[] {
    const wanted = this.expand(written).replace(/^\/+/, '');
    const isGlob = /[*?[{]/.test(wanted);
    if (wanted === '') this.problem(yaml, at, `is empty${written === '' ? '' : ` once its variables are expanded (${written})`}: name a file of the repository, such as ci/build.yml`);
    else if (!isGlob && !YAML_NAME.test(wanted)) this.problem(yaml, at, `names ${wanted}: an included file must end in .yml or .yaml`);
    else if (place.project) {
      const fetched = this.obtain(yaml, at, { kind: 'project', ...place.project, file: wanted });
      return fetched === undefined ? [] : [{ name: `${place.project.project}:${wanted}`, text: fetched, project: place.project }];
    } else if (!this.sources) this.problem(yaml, at, 'cannot be read here: no commit to read it from');
    else if (isGlob) return this.readGlob(yaml, at, wanted, this.sources);
    else {
      const found = this.sources.readLocal(wanted);
      if (found !== undefined) return [{ name: wanted, text: found }];
      this.problem(yaml, at, `names ${wanted}, which is not in this commit: add the file or fix the path`);
    }
    return [];
  }

  /** A glob includes the matching YAML files in name order; none matching is not an error in GitLab. */
  private readGlob(yaml: YamlFile, at: PropertyKey[], wanted: string, sources: IncludeSources): Included[] {
    const pattern = attempt(() => globRegex(wanted), [RegexError], (error) => void this.problem(yaml, at, `is not a glob Slipway understands: ${error.message}`));
    if (!pattern) return [];
    return sources
      .localFiles()
      .filter((file) => YAML_NAME.test(file) && pattern.test(file))
      .sort()
      .map((file) => ({ name: file, text: sources.readLocal(file) ?? '' }));
  }

  private readProject(yaml: YamlFile, at: PropertyKey[], entry: Mapping): Included[] {
    const project = this.expand(text(entry.project)!).replace(/^\/+|\/+$/g, '');
    const ref = text(entry.ref) === undefined ? undefined : this.expand(text(entry.ref)!);
    const from = { project, ...(ref === undefined ? {} : { ref }) };
    const named = Array.isArray(entry.file) ? entry.file : [entry.file];
    if (named.length === 0 || named.some((file) => typeof file !== 'string' || file === '')) {
      this.problem(yaml, [...at, 'file'], 'must name the file (or a list of files) to include from the project');
      return [];
    }
    return (named as string[]).flatMap((file, index) => {
      const wanted = this.expand(file).replace(/^\/+/, '');
      const fileAt = Array.isArray(entry.file) ? [...at, 'file', index] : [...at, 'file'];
      if (!YAML_NAME.test(wanted)) {
        this.problem(yaml, fileAt, `names ${wanted}: an included file must end in .yml or .yaml`);
        return [];
      }
      const fetched = this.obtain(yaml, fileAt, { kind: 'project', ...from, file: wanted });
      return fetched === undefined ? [] : [{ name: `${project}:${wanted}`, text: fetched, project: from }];
    });
  }

  private readRemote(yaml: YamlFile, at: PropertyKey[], written: string): Included[] {
    const url = this.expand(written);
    if (!IS_URL.test(url)) {
      this.problem(yaml, at, `is not an http(s) URL: ${url}`);
      return [];
    }
    const fetched = this.obtain(yaml, at, { kind: 'remote', url });
    return fetched === undefined ? [] : [{ name: url, text: fetched }];
  }
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
