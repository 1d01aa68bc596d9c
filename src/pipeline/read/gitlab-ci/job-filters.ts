import type { GitlabGlobals, GitlabJob } from './gitlab-ci-schema.js';
import { evaluate, parseExpression } from './rule-expression.js';
import { expandVariables } from '../../predefined-variables.js';
import { compileSafeRegex, slashPattern } from '../../../util/safe-regex.js';

export type Decision =
  | {
      run: true;
      when: 'on_success' | 'on_failure' | 'always' | 'manual' | 'delayed';
      allowFailure?: boolean;
      variables?: Record<string, string>;
      needs?: GitlabJob['needs'];
      /** A delayed job's wait, in seconds. */
      startInSeconds?: number;
    }
  /** `listed`: shown as a skipped job rather than left out of the pipeline. */
  | { run: false; why: string; listed?: boolean };

type RefFilter = NonNullable<GitlabJob['only']>;

/**
 * An `only`/`except` ref written as a pattern: `/\Arelease-.*\Z/`, or `/^v\d+/i@group/project`
 * for one project (read that way first: a pattern's own `/` must not swallow the project).
 */
export function refPattern(entry: string): { source: string; flags: string; project?: string } | undefined {
  const scoped = /^\/(.*)\/([a-z]*)@([^/@\s][^@\s]*)$/s.exec(entry);
  if (scoped) return { source: scoped[1]!, flags: scoped[2]!, project: scoped[3]! };
  return slashPattern(entry);
}

/**
 * One `only`/`except` entry against this pipeline. Slipway pipelines are branch pushes or
 * merge requests, so `tags`, `schedules`, `api`, `web` and `triggers` never match.
 */
function refMatches(entry: string, variables: Record<string, string>): boolean {
  const inMergeRequest = variables.CI_PIPELINE_SOURCE === 'merge_request_event';
  const ref = variables.CI_COMMIT_REF_NAME ?? '';
  switch (entry) {
    case 'branches':
      return !inMergeRequest;
    case 'merge_requests':
      return inMergeRequest;
    case 'pushes':
      return variables.CI_PIPELINE_SOURCE === 'push';
    case 'tags':
    case 'schedules':
    case 'api':
    case 'web':
    case 'triggers':
    case 'pipelines':
    case 'external':
    case 'external_pull_requests':
    case 'chat':
      return false;
  }
  // `/pattern/flags`, optionally `@group/project` to limit it to one project.
  const pattern = refPattern(entry);
  if (pattern) return compileSafeRegex(pattern.source, pattern.flags).test(ref) && (pattern.project === undefined || pattern.project === variables.CI_PROJECT_PATH);
  // `main@group/project` limits a ref to one project.
  const [name, project] = entry.split('@');
  return name === ref && (project === undefined || project === variables.CI_PROJECT_PATH);
}

function filterMatches(filter: RefFilter, variables: Record<string, string>): boolean {
  const refs = filter.refs === undefined || filter.refs.some((entry) => refMatches(entry, variables));
  const expressions = filter.variables === undefined || filter.variables.some((text) => evaluate(parseExpression(text), variables));
  return refs && expressions;
}

/** What a rule may ask of the commit's files (`exists`). */
export interface Checkout {
  exists(patterns: readonly string[]): boolean;
  /** Whether this push or merge request changed a file matching `patterns` (compared with `compareTo` when given); true when unknown. */
  changed?(patterns: readonly string[], compareTo: string | undefined): boolean;
  /** What the checkout could not tell, for the MR comment. */
  notes?(): string[];
}

/** Without a checkout to look at (plan tests), every `exists` is taken to hold. */
const ANY_FILE: Checkout = { exists: () => true };

/** A rule matches when its `if` holds and, when it has `exists`, one of those files is in the commit. */
function ruleMatches(rule: { if?: string; exists?: string[]; changes?: { paths: string[]; compareTo: string | undefined } }, variables: Record<string, string>, checkout: Checkout): boolean {
  if (rule.if !== undefined && !evaluate(parseExpression(rule.if), variables)) return false;
  if (rule.changes !== undefined && checkout.changed) {
    const compareTo = rule.changes.compareTo === undefined ? undefined : expandVariables(rule.changes.compareTo, variables);
    if (!checkout.changed(rule.changes.paths.map((pattern) => expandVariables(pattern, variables)), compareTo)) return false;
  }
  // Paths may use variables (`${DIR}/setup.py`), as in GitLab.
  return rule.exists === undefined || checkout.exists(rule.exists.map((pattern) => expandVariables(pattern, variables)));
}

type WorkflowRules = NonNullable<NonNullable<GitlabGlobals['workflow']>['rules']>;

/**
 * Whether this pipeline runs at all, by the file's `workflow:rules` (first match wins; no
 * match leaves it out), and the variables the matching rule adds for every job.
 */
export function decideWorkflow(
  rules: WorkflowRules | undefined,
  variables: Record<string, string>,
  checkout: Checkout = ANY_FILE,
): { run: true; variables: Record<string, string> } | { run: false; why: string } {
  if (!rules) return { run: true, variables: {} };
  for (const [index, rule] of rules.entries()) {
    if (!ruleMatches(rule, variables, checkout)) continue;
    if (rule.when === 'never') return { run: false, why: `workflow:rules rule ${index + 1}${rule.if ? ` (if: ${rule.if})` : ''} says when: never` };
    return { run: true, variables: rule.variables ?? {} };
  }
  return { run: false, why: 'no workflow:rules rule matches this pipeline' };
}

/**
 * Whether a job is in this pipeline and when it runs: `rules` (first match wins), else
 * `only`/`except`, else always. Unlike GitLab, a job with none of them also runs in merge
 * request pipelines: Slipway runs one pipeline per commit, whichever event brought it.
 */
export function decideJob(job: GitlabJob, variables: Record<string, string>, checkout: Checkout = ANY_FILE): Decision {
  const jobWhen = job.when ?? 'on_success';
  type Extra = Omit<Extract<Decision, { run: true }>, 'run' | 'when'>;
  const fromWhen = (when: string, source: string, extra: Extra, inRules: boolean): Decision => {
    if (when === 'never') return { run: false, why: `${source} says when: never` };
    // GitLab's defaults: a manual job may fail (it blocks nothing) unless rules made it manual.
    const allowFailure = extra.allowFailure ?? job.allow_failure ?? (when === 'manual' && !inRules);
    return { run: true, when: when as 'on_success', ...extra, ...(typeof allowFailure === 'boolean' ? { allowFailure } : {}) };
  };
  if (job.rules) {
    for (const rule of job.rules) {
      if (!ruleMatches(rule, variables, checkout)) continue;
      const startIn = rule.start_in ?? job.start_in;
      return fromWhen(
        rule.when ?? jobWhen,
        'its matching rule',
        {
          ...(rule.allow_failure === undefined ? {} : { allowFailure: rule.allow_failure }),
          ...(rule.variables ? { variables: rule.variables } : {}),
          ...(rule.needs ? { needs: rule.needs } : {}),
          ...(startIn === undefined ? {} : { startInSeconds: startIn }),
        },
        true,
      );
    }
    return { run: false, why: 'no rule matches this pipeline' };
  }
  if (job.only && !filterMatches(job.only, variables)) return { run: false, why: '`only` does not match this pipeline' };
  if (job.except && filterMatches(job.except, variables)) return { run: false, why: '`except` matches this pipeline' };
  return fromWhen(jobWhen, 'the job', job.start_in === undefined ? {} : { startInSeconds: job.start_in }, false);
}
