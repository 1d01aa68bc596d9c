import type { ScriptJobSpec } from '../../plan.js';
import { repeatedKeys } from '../pipeline-file-error.js';
import { isMapping, placeOf, type DecidedPipeline, type Mapping, type ReadingContext, type ValidFile } from './gitlab-ci-file.js';
import {
  GLOBAL_KEYWORDS,
  SUPPORTED_ARTIFACTS_KEYWORDS,
  SUPPORTED_CACHE_KEYWORDS,
  SUPPORTED_DEFAULT_KEYWORDS,
  SUPPORTED_GLOBAL_KEYWORDS,
  SUPPORTED_JOB_KEYWORDS,
  SUPPORTED_REF_FILTER_KEYWORDS,
  SUPPORTED_REPORTS,
  SUPPORTED_RULE_KEYWORDS,
  SUPPORTED_WORKFLOW_KEYWORDS,
  SUPPORTED_WORKFLOW_RULE_KEYWORDS,
} from './gitlab-ci-schema.js';

/** Keyword -> where it was found, in the order first seen; rendered as one line per kind of note. */
class Places {
  private readonly places = new Map<string, string[]>();
  add(name: string, place: string): void {
    const list = this.places.get(name) ?? [];
    if (!list.includes(place)) list.push(place);
    this.places.set(name, list);
  }
  get size(): number {
    return this.places.size;
  }
  format(): string {
    return [...this.places].map(([name, where]) => `\`${name}\` (${where.join(', ')})`).join(', ');
  }
}

function unknownKeys(value: unknown, supported: ReadonlySet<string>, prefix = ''): string[] {
  return isMapping(value) ? Object.keys(value).filter((key) => !supported.has(key)).map((key) => `${prefix}${key}`) : [];
}

/** Keywords in a job that Slipway does not act on; `rules:changes` style for nested ones. */
function ignoredInJob(raw: Mapping): string[] {
  const ignored = unknownKeys(raw, SUPPORTED_JOB_KEYWORDS);
  for (const rule of Array.isArray(raw.rules) ? raw.rules : []) ignored.push(...unknownKeys(rule, SUPPORTED_RULE_KEYWORDS, 'rules:'));
  for (const filter of ['only', 'except'] as const) ignored.push(...unknownKeys(raw[filter], SUPPORTED_REF_FILTER_KEYWORDS, `${filter}:`));
  ignored.push(...unknownKeys(raw.artifacts, SUPPORTED_ARTIFACTS_KEYWORDS, 'artifacts:'));
  if (isMapping(raw.artifacts)) ignored.push(...unknownKeys(raw.artifacts.reports, SUPPORTED_REPORTS, 'artifacts:reports:'));
  for (const cache of Array.isArray(raw.cache) ? raw.cache : [raw.cache]) ignored.push(...unknownKeys(cache, SUPPORTED_CACHE_KEYWORDS, 'cache:'));
  for (const need of Array.isArray(raw.needs) ? raw.needs : []) {
    for (const key of ['project', 'pipeline']) if (isMapping(need) && need[key] !== undefined) ignored.push(`needs:${key}`);
  }
  return ignored;
}

/** Every keyword the file uses that Slipway does not act on, with where. */
function ignoredKeywords(file: ValidFile): Places {
  const ignored = new Places();
  const { data, globals } = file;
  for (const key of Object.keys(data)) if (GLOBAL_KEYWORDS.has(key) && !SUPPORTED_GLOBAL_KEYWORDS.has(key)) ignored.add(key, 'top level');
  for (const { file: where, path, what } of file.config.unread) ignored.add(what.split(' ')[0]!, placeOf(where, path));
  for (const key of unknownKeys(data.default, SUPPORTED_DEFAULT_KEYWORDS)) ignored.add(key, 'default');
  for (const key of unknownKeys(data.workflow, SUPPORTED_WORKFLOW_KEYWORDS, 'workflow:')) ignored.add(key, 'top level');
  for (const rule of Array.isArray(globals.workflow?.rules) ? globals.workflow.rules : []) {
    for (const key of unknownKeys(rule, SUPPORTED_WORKFLOW_RULE_KEYWORDS, 'workflow:rules:')) ignored.add(key, 'top level');
  }
  for (const name of file.jobs.keys()) for (const keyword of ignoredInJob(data[name] as Mapping)) ignored.add(keyword, name);
  return ignored;
}

const quoted = (names: readonly string[]) => names.map((name) => `\`${name}\``).join(', ');

/** Phase 6: what the file asks for and Slipway does differently or not at all, for the MR comment. */
export function writeNotes(file: ValidFile, pipeline: DecidedPipeline, planned: readonly ScriptJobSpec[], context: ReadingContext): string[] {
  const notes: string[] = [];
  const ignored = ignoredKeywords(file);
  if (ignored.size > 0) notes.push(`Ignored keywords (Slipway does not support them): ${ignored.format()}.`);
  const replacesDockerHost = file.globals.variables?.DOCKER_HOST !== undefined || [...file.jobs.values()].some((job) => job.variables?.DOCKER_HOST !== undefined);
  if (replacesDockerHost) notes.push('`DOCKER_HOST` from the file is replaced: every job reaches the pipeline’s own Docker daemon through the `DOCKER_HOST` Slipway sets.');
  if (pipeline.leftOut.length > 0) notes.push(`Not in this pipeline: ${pipeline.leftOut.join(', ')}.`);
  notes.push(...(context.checkout?.notes?.() ?? []));
  const repeated = file.config.files.flatMap((each) => repeatedKeys(each).map((key) => ({ ...key, where: each.included ? ` of ${each.file}` : '' })));
  if (repeated.length > 0) {
    notes.push(`Keys written twice in one mapping, where the last one counts (as in GitLab): ${repeated.map(({ key, line, where }) => `\`${key}\` (line ${line}${where})`).join(', ')}.`);
  }
  // In the pipeline's order: by stage, then as written.
  const deployJobs = planned.filter((spec) => spec.waitsForDeploy).map((spec) => spec.name);
  if (deployJobs.length > 0) {
    notes.push(`Deploy jobs wait for \`/deploy <sha> <environment>\` in Slack, after approval, instead of running in the pipeline: ${quoted(deployJobs)}.`);
  }
  return notes;
}
