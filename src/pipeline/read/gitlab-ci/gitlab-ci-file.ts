import type { PlanOptions } from '../../plan.js';
import { problemAt, type YamlFile } from '../pipeline-file-error.js';
import { lineOf } from '../../../util/yaml-problems.js';
import type { JobInstance } from './expand-parallel.js';
import type { GitlabBridge, GitlabGlobals, GitlabJob } from './gitlab-ci-schema.js';
import type { Checkout, Decision } from './job-filters.js';
import type { IncludedConfig } from './resolve-includes.js';

// What the numbered phases of reading a `.gitlab-ci.yml` hand one another.

export const GITLAB_CI_FILE = '.gitlab-ci.yml';

export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What every phase reads with: the pipeline's predefined variables, the commit's files, the server's defaults. */
export interface ReadingContext {
  variables: Record<string, string>;
  options: PlanOptions;
  checkout: Checkout | undefined;
}

/** Phase 1's answer: one configuration, includes merged, `extends` and `!reference` resolved. */
export interface ResolvedFile {
  config: IncludedConfig;
  data: Mapping;
  /** A problem at `path`, with its line and file, for the list of what is wrong. */
  problemIn(path: readonly PropertyKey[], message: string, isKey?: boolean): string;
  /** Where the first unread include (a component) is written, for messages that may come from it. */
  unreadPlace: string | undefined;
}

/** Phase 2's answer: the file, checked in full; nothing later finds a mistake the author could have been told of here. */
export interface ValidFile extends ResolvedFile {
  globals: GitlabGlobals;
  jobs: Map<string, GitlabJob>;
  /** Trigger jobs (GitLab's bridges): each starts a child pipeline or another project's. */
  bridges: Map<string, GitlabBridge>;
  /** `.pre`, the file's stages (or GitLab's defaults), `.post`. */
  stages: string[];
  /** Each job's instances (one unless `parallel`), and each instance's job. */
  instances: Map<string, JobInstance[]>;
  owners: Map<string, string>;
}

/** Phase 3's answer when the pipeline runs: the pipeline's variables and name, and what each job instance's rules decided. */
export interface DecidedPipeline {
  variables: Record<string, string>;
  name: string | undefined;
  decisions: Map<string, Decision>;
  /** What each trigger job's rules decided. */
  bridgeDecisions: Map<string, Decision>;
  /** Instances the rules leave out, with why, for the notes. */
  leftOut: string[];
}

export function placeOf(file: YamlFile, path: readonly PropertyKey[]): string {
  return `line ${lineOf(file, path, true)}${file.included ? ` of ${file.file}` : ''}`;
}

export function problemsIn(config: IncludedConfig) {
  return (path: readonly PropertyKey[], message: string, isKey = false) => problemAt(config.fileOf(path), path, message, isKey);
}

/** The needs that count: those of the rule that matched, else the job's own. */
export function needsOf(job: GitlabJob, decision: Decision): GitlabJob['needs'] {
  return (decision.run ? decision.needs : undefined) ?? job.needs;
}

/** The instances of `job` (its `parallel` copies) that are in the pipeline. */
export function instancesIn(file: ValidFile, job: string, inPipeline: ReadonlySet<string>): string[] {
  return (file.instances.get(job) ?? [{ name: job }]).map((instance) => instance.name).filter((each) => inPipeline.has(each));
}
