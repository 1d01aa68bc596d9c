import type { z } from 'zod';
import { globRegex } from '../../../util/checkout-globs.js';
import { compileSafeRegex, RegexError, slashPattern } from '../../../util/safe-regex.js';
import { attempt, describeIssues, PipelineFileError } from '../pipeline-file-error.js';
import { isJobKey } from './1-resolve-file.js';
import { checkNeeds } from './check-needs.js';
import { instancesOf, ParallelError, type JobInstance } from './expand-parallel.js';
import { GITLAB_CI_FILE, isMapping, type ReadingContext, type ResolvedFile, type ValidFile } from './gitlab-ci-file.js';
import { BridgeSchema, GLOBAL_KEYWORDS, GlobalsSchema, JobSchema, type GitlabBridge, type GitlabGlobals, type GitlabJob } from './gitlab-ci-schema.js';
import { refPattern } from './job-filters.js';
import { ExpressionError, parseExpression } from './rule-expression.js';

/** GitLab's stages when the file names none. */
const DEFAULT_STAGES = ['build', 'test', 'deploy'];

const NO_IMAGE = 'has no image: set image: in the job, at the top level or under default, or start Slipway with SLIPWAY_DEFAULT_IMAGE';

/** Something in a file that is checked before the pipeline runs, so a mistake is reported with its line. */
interface RuleCheck {
  path: PropertyKey[];
  problem: string;
  check(): void;
}

const expressionCheck = (path: PropertyKey[], text: string): RuleCheck => ({ path, problem: 'is not an expression Slipway understands', check: () => void parseExpression(text) });
const patternCheck = (path: PropertyKey[], pattern: { source: string; flags: string }): RuleCheck => ({
  path,
  problem: 'is not a pattern Slipway understands',
  check: () => void compileSafeRegex(pattern.source, pattern.flags),
});

/** Each `exists` glob, checked so a bad one is reported with its line. */
function globChecks(at: PropertyKey[], globs: string[] | undefined): RuleCheck[] {
  return (globs ?? []).map((glob, index) => ({ path: [...at, index], problem: 'is not a glob Slipway understands', check: () => void globRegex(glob) }));
}

/** Every expression and ref pattern of a job, each with a check that throws what is wrong with it. */
function ruleChecks(job: GitlabJob): RuleCheck[] {
  const checks = (job.rules ?? []).flatMap((rule, index) => [
    ...(rule.if === undefined ? [] : [expressionCheck(['rules', index, 'if'], rule.if)]),
    ...globChecks(['rules', index, 'exists'], rule.exists),
    ...globChecks(['rules', index, 'changes', 'paths'], rule.changes?.paths),
  ]);
  for (const filter of ['only', 'except'] as const) {
    (job[filter]?.variables ?? []).forEach((text, index) => checks.push(expressionCheck([filter, 'variables', index], text)));
    (job[filter]?.refs ?? []).forEach((ref, index) => {
      // A /regex/ ref is checked here so a bad one is reported with its line, not at run time.
      const pattern = refPattern(ref);
      if (pattern) checks.push(patternCheck([filter, index], pattern));
    });
  }
  // The schema let only `/…/flags` through.
  if (job.coverage !== undefined) checks.push(patternCheck(['coverage'], slashPattern(job.coverage)!));
  return checks;
}

function workflowChecks(globals: GitlabGlobals): RuleCheck[] {
  return (globals.workflow?.rules ?? []).flatMap((rule, index) => [
    ...(rule.if === undefined ? [] : [expressionCheck(['workflow', 'rules', index, 'if'], rule.if)]),
    ...globChecks(['workflow', 'rules', index, 'exists'], rule.exists),
  ]);
}

function runChecks(file: ResolvedFile, at: PropertyKey[], checks: RuleCheck[], problems: string[]): void {
  for (const { path, problem, check } of checks) {
    attempt(check, [ExpressionError, RegexError], (error) => void problems.push(file.problemIn([...at, ...path], `${problem}: ${error.message}`)));
  }
}

function validate<T extends z.ZodType>(schema: T, value: unknown, path: PropertyKey[], issues: z.core.$ZodIssue[]): z.output<T> | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  issues.push(...parsed.error.issues.map((issue) => ({ ...issue, path: [...path, ...issue.path] })));
  return undefined;
}

function stagesOf(globals: GitlabGlobals): string[] {
  const declared = globals.stages ?? DEFAULT_STAGES;
  return ['.pre', ...declared.filter((stage) => stage !== '.pre' && stage !== '.post'), '.post'];
}

/** The jobs, each checked against the schema and its rules; trigger jobs (bridges) apart. */
function readJobs(file: ResolvedFile, issues: z.core.$ZodIssue[], problems: string[]) {
  const jobs = new Map<string, GitlabJob>();
  const bridges = new Map<string, GitlabBridge>();
  for (const name of Object.keys(file.data).filter(isJobKey)) {
    const raw = file.data[name];
    if (!isMapping(raw)) problems.push(file.problemIn([name], 'must be a job: a mapping with at least script', true));
    else if (raw.trigger !== undefined) {
      const bridge = validate(BridgeSchema, raw, [name], issues);
      if (!bridge) continue;
      runChecks(file, [name], ruleChecks({ ...bridge, script: [] } as unknown as GitlabJob), problems);
      bridges.set(name, bridge);
    } else {
      const job = validate(JobSchema, raw, [name], issues);
      if (!job) continue;
      runChecks(file, [name], ruleChecks(job), problems);
      jobs.set(name, job);
    }
  }
  return { jobs, bridges };
}

function checkStagesAndImages(file: ResolvedFile, globals: GitlabGlobals, jobs: Map<string, GitlabJob>, stages: string[], context: ReadingContext, problems: string[]): void {
  for (const [name, job] of jobs) {
    const stage = job.stage ?? 'test';
    if (!stages.includes(stage)) {
      // A job without `stage` is in `test`, which a file's own `stages` may not have.
      const declared = stages.filter((each) => !each.startsWith('.')).join(', ');
      problems.push(
        job.stage === undefined
          ? file.problemIn([name], `has no stage, so it is in "test", which is not one of the stages: ${declared}`, true)
          : file.problemIn([name, Object.hasOwn(file.data[name] as object, 'stage') ? 'stage' : 'type'], `"${stage}" is not one of the stages: ${declared}`),
      );
    }
    if (!job.image && !globals.default?.image && !globals.image && !context.options.defaultImage) problems.push(file.problemIn([name], NO_IMAGE, true));
  }
}

function expandInstances(file: ResolvedFile, jobs: Map<string, GitlabJob>, problems: string[]) {
  const instances = new Map<string, JobInstance[]>();
  const owners = new Map<string, string>();
  for (const [name, job] of jobs) {
    const expanded = attempt(() => instancesOf(name, job.parallel), [ParallelError], (error) => void problems.push(file.problemIn([name, 'parallel'], error.message)));
    if (!expanded) continue;
    instances.set(name, expanded);
    owners.set(name, name);
    for (const instance of expanded) owners.set(instance.name, name);
  }
  return { instances, owners };
}

/**
 * GitLab's checks of `environment:on_stop`: the job it names exists and stops the same
 * environment (names compared as written), in GitLab's words.
 */
function checkOnStop(file: ResolvedFile, jobs: Map<string, GitlabJob>, problems: string[]): void {
  for (const [name, job] of jobs) {
    const onStop = job.environment?.on_stop;
    if (onStop === undefined) continue;
    const stopJob = jobs.get(onStop);
    const problem = !stopJob
      ? `names ${onStop}, which is not a job of the file (GitLab: on_stop job ${onStop} is not defined)`
      : !stopJob.environment
        ? `names ${onStop}, which has no environment: give it environment: { name: ${job.environment!.name}, action: stop }`
        : stopJob.environment.name !== job.environment!.name
          ? `names ${onStop}, which stops ${stopJob.environment.name}, not ${job.environment!.name} (GitLab: on_stop job ${onStop} have different environment name)`
          : stopJob.environment.action !== 'stop'
            ? `names ${onStop}, which does not stop it: give ${onStop} environment:action: stop`
            : undefined;
    if (problem) problems.push(file.problemIn([name, 'environment', 'on_stop'], problem));
  }
}

/**
 * A keyword of the file written as a job (`image: { script: [...] }`): one problem that says
 * the name is taken, in place of what the keyword's own schema would say about a job.
 */
function keywordsWrittenAsJobs(file: ResolvedFile): string[] {
  const keys = Object.entries(file.data).filter(([key, value]) => GLOBAL_KEYWORDS.has(key) && isMapping(value) && 'script' in value).map(([key]) => key);
  if (keys.length === 0) return [];
  const names = [...GLOBAL_KEYWORDS].filter((key) => key !== 'types').join(', ');
  const which = keys.length === 1 ? `is one of the file's keywords, so it cannot name a job` : `(also ${keys.slice(1).join(', ')}) are the file's keywords, so they cannot name jobs`;
  return [file.problemIn([keys[0]!], `${which}: rename the job (no job may be called ${names})`, true)];
}

/** Phase 2: everything wrong with the file, all at once and each with its line; or the file, checked. */
export function validateFile(file: ResolvedFile, context: ReadingContext): ValidFile {
  const taken = keywordsWrittenAsJobs(file);
  if (taken.length > 0) throw new PipelineFileError(GITLAB_CI_FILE, taken);
  const problems: string[] = [];
  const issues: z.core.$ZodIssue[] = [];
  const globals = validate(GlobalsSchema, Object.fromEntries(Object.entries(file.data).filter(([key]) => GLOBAL_KEYWORDS.has(key))), [], issues) ?? {};
  const { jobs, bridges } = readJobs(file, issues, problems);
  if (!Object.keys(file.data).some(isJobKey)) {
    problems.push(
      file.unreadPlace
        ? `the file's jobs come from ${file.unreadPlace}, which Slipway does not read: copy the jobs into the repository and include them with local:`
        : 'the file defines no jobs: add a job with a script, such as test: { image: …, script: [...] }',
    );
  }
  runChecks(file, [], workflowChecks(globals), problems);
  const stages = stagesOf(globals);
  checkStagesAndImages(file, globals, jobs, stages, context, problems);
  for (const [name, bridge] of bridges) {
    if (!stages.includes(bridge.stage ?? 'test')) problems.push(file.problemIn([name, 'stage'], `"${bridge.stage ?? 'test'}" is not one of the stages: ${stages.filter((each) => !each.startsWith('.')).join(', ')}`, bridge.stage === undefined));
  }
  checkOnStop(file, jobs, problems);
  problems.push(...issues.flatMap((issue) => describeIssues(file.config.fileOf(issue.path), [issue])));
  const { instances, owners } = expandInstances(file, jobs, problems);
  if (problems.length === 0) {
    const stageIndex = (job: GitlabJob) => stages.indexOf(job.stage ?? 'test');
    // A trigger job may be needed, and may need others, as in GitLab.
    const needable = new Map([...jobs, ...[...bridges].map(([name, bridge]) => [name, { ...bridge, script: [] } as unknown as GitlabJob] as const)]);
    const ownerOf = (need: string) => owners.get(need) ?? (bridges.has(need) ? need : undefined);
    for (const problem of checkNeeds(needable, ownerOf, stageIndex, (job) => job.stage ?? 'test')) problems.push(file.problemIn(problem.path, problem.message));
  }
  if (problems.length > 0) throw new PipelineFileError(GITLAB_CI_FILE, problems);
  return { ...file, globals, jobs, bridges, stages, instances, owners };
}
