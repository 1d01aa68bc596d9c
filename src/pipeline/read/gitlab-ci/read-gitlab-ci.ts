import { isMap } from 'yaml';
import type { z } from 'zod';
import { describeIssues, lineOf, parseYamlFile, PipelineFileError, problemAt, repeatedKeys, type YamlFile } from '../pipeline-file-error.js';
import type { ArtifactsSpec, CacheSpec, PipelinePlan, PlanOptions, ScriptJobSpec } from '../../plan.js';
import { expandVariables } from '../../predefined-variables.js';
import { CACHE_POLICIES, type GitlabArtifacts, type GitlabCache } from './artifacts-cache-schema.js';
import { isDindService } from '../../services.js';
import {
  GLOBAL_KEYWORDS,
  GlobalsSchema,
  JobSchema,
  SUPPORTED_DEFAULT_KEYWORDS,
  SUPPORTED_GLOBAL_KEYWORDS,
  SUPPORTED_JOB_KEYWORDS,
  SUPPORTED_REF_FILTER_KEYWORDS,
  SUPPORTED_RULE_KEYWORDS,
  SUPPORTED_WORKFLOW_KEYWORDS,
  SUPPORTED_WORKFLOW_RULE_KEYWORDS,
  SUPPORTED_ARTIFACTS_KEYWORDS,
  SUPPORTED_CACHE_KEYWORDS,
  SUPPORTED_REPORTS,
  type GitlabGlobals,
  type GitlabJob,
} from './gitlab-ci-schema.js';
import { checkNeeds, needLists } from './check-needs.js';
import { instancesOf, ParallelError, type JobInstance } from './expand-parallel.js';
import { globRegex } from '../../../util/checkout-globs.js';
import { decideJob, decideWorkflow, refPattern, type Checkout, type Decision } from './job-filters.js';
import { ExtendsError, resolveExtends } from './resolve-extends.js';
import { resolveIncludes, type IncludeSources } from './resolve-includes.js';
import { REFERENCE_TAG, ReferenceError, resolveReferences } from './resolve-references.js';
import { ExpressionError, parseExpression } from './rule-expression.js';
import { compileSafeRegex, RegexError, slashPattern } from '../../../util/safe-regex.js';

export const GITLAB_CI_FILE = '.gitlab-ci.yml';

/** GitLab's stages when the file names none. */
const DEFAULT_STAGES = ['build', 'test', 'deploy'];


export const DEPLOY_STAGE = 'deploy';

const NO_IMAGE = 'has no image: set image: in the job, at the top level or under default, or start Slipway with SLIPWAY_DEFAULT_IMAGE';

type Mapping = Record<string, unknown>;

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

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

/** Something in a file that is checked before the pipeline runs, so a mistake is reported with its line. */
interface RuleCheck {
  path: PropertyKey[];
  problem: string;
  check(): void;
}

/** Each `exists` glob, checked so a bad one is reported with its line. */
function globChecks(at: PropertyKey[], globs: string[] | undefined): RuleCheck[] {
  return (globs ?? []).map((glob, index) => ({ path: [...at, index], problem: 'is not a glob Slipway understands', check: () => void globRegex(glob) }));
}

/** Every expression and ref pattern of a job, each with a check that throws what is wrong with it. */
function ruleChecks(job: GitlabJob): RuleCheck[] {
  const expression = (path: PropertyKey[], text: string): RuleCheck => ({ path, problem: 'is not an expression Slipway understands', check: () => void parseExpression(text) });
  const checks = (job.rules ?? []).flatMap((rule, index) => (rule.if === undefined ? [] : [expression(['rules', index, 'if'], rule.if)]));
  (job.rules ?? []).forEach((rule, index) => checks.push(...globChecks(['rules', index, 'exists'], rule.exists), ...globChecks(['rules', index, 'changes', 'paths'], rule.changes?.paths)));
  for (const filter of ['only', 'except'] as const) {
    (job[filter]?.variables ?? []).forEach((text, index) => checks.push(expression([filter, 'variables', index], text)));
    (job[filter]?.refs ?? []).forEach((ref, index) => {
      // A /regex/ ref is checked here so a bad one is reported with its line, not at run time.
      const pattern = refPattern(ref);
      if (pattern) checks.push({ path: [filter, index], problem: 'is not a pattern Slipway understands', check: () => void compileSafeRegex(pattern.source, pattern.flags) });
    });
  }
  if (job.coverage !== undefined) {
    const { source, flags } = slashPattern(job.coverage)!;
    checks.push({ path: ['coverage'], problem: 'is not a pattern Slipway understands', check: () => void compileSafeRegex(source, flags) });
  }
  return checks;
}

function validate<T extends z.ZodType>(schema: T, value: unknown, path: PropertyKey[], problems: z.core.$ZodIssue[]): z.output<T> | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  problems.push(...parsed.error.issues.map((issue) => ({ ...issue, path: [...path, ...issue.path] })));
  return undefined;
}

/** The needs that count: those of the rule that matched, else the job's own. */
function needsOf(job: GitlabJob, decision: Decision): GitlabJob['needs'] {
  return (decision.run ? decision.needs : undefined) ?? job.needs;
}

function allowFailureOf(allowed: GitlabJob['allow_failure']): Pick<ScriptJobSpec, 'allowFailure'> {
  if (allowed === undefined || allowed === false) return {};
  return { allowFailure: allowed };
}

/** The plan's `artifacts`, or undefined when they keep nothing. */
function artifactsSpec(artifacts: GitlabArtifacts | undefined): ArtifactsSpec | undefined {
  if (!artifacts) return undefined;
  const spec: ArtifactsSpec = {
    paths: artifacts.paths ?? [],
    exclude: artifacts.exclude ?? [],
    untracked: artifacts.untracked ?? false,
    when: artifacts.when ?? 'on_success',
    ...(artifacts.expire_in === undefined ? {} : { expireInSeconds: artifacts.expire_in }),
    ...(artifacts.name === undefined ? {} : { name: artifacts.name }),
    dotenv: artifacts.reports?.dotenv ?? [],
  };
  return spec.paths.length > 0 || spec.untracked || spec.dotenv.length > 0 ? spec : undefined;
}

/** One cache entry of the plan; its policy may be a variable, as in GitLab. A string is what is wrong with it. */
function cacheSpec(entry: GitlabCache[number], variables: Record<string, string>): CacheSpec | string | undefined {
  if (!entry.paths?.length && !entry.untracked) return undefined;
  const policy = expandVariables(entry.policy ?? 'pull-push', variables);
  if (!(CACHE_POLICIES as readonly string[]).includes(policy)) return `"${policy}" is not a cache policy: use ${CACHE_POLICIES.join(', ')}`;
  return {
    key: entry.key ?? 'default',
    paths: entry.paths ?? [],
    untracked: entry.untracked ?? false,
    policy: policy as CacheSpec['policy'],
    when: entry.when ?? 'on_success',
    fallbackKeys: entry.fallback_keys ?? [],
  };
}

function stagesOf(globals: GitlabGlobals): string[] {
  const declared = globals.stages ?? DEFAULT_STAGES;
  return ['.pre', ...declared.filter((stage) => stage !== '.pre' && stage !== '.post'), '.post'];
}

/**
 * Turns a `.gitlab-ci.yml` into a plan. `variables` are the pipeline's predefined ones, for
 * `rules` and `only`/`except`. What the file asks for and Slipway does not do comes back as
 * `notes` for the MR comment; mistakes that stop it from running throw with their lines.
 */
export function parseGitlabCiFile(text: string, variables: Record<string, string>, options: PlanOptions = {}, checkout?: Checkout, includes?: IncludeSources): PipelinePlan {
  const main: YamlFile = parseYamlFile(GITLAB_CI_FILE, text, { customTags: [REFERENCE_TAG], duplicateKeys: 'last wins' });
  if (!isMap(main.document.contents)) throw new PipelineFileError(GITLAB_CI_FILE, ['the file must be a mapping of jobs and keywords (line 1)']);
  const config = resolveIncludes(main, includes, variables, checkout);
  const problemIn = (path: readonly PropertyKey[], message: string, isKey = false) => problemAt(config.fileOf(path), path, message, isKey);
  const isJob = (key: string) => !GLOBAL_KEYWORDS.has(key) && !key.startsWith('.');
  const problems: string[] = [];
  const issues: z.core.$ZodIssue[] = [];
  // What an unread include (a component) would have brought is named as such, not as the file's own mistake.
  const unread = config.unread[0];
  const unreadPlace = unread ? `${unread.what} (line ${lineOf(unread.file, unread.path, true)}${unread.file.included ? ` of ${unread.file.file}` : ''})` : '';
  const unreadInclude = unread ? `; it may come from ${unreadPlace}, which Slipway does not read: copy it into the repository and include it with local:` : '';

  let data: Mapping;
  try {
    data = resolveExtends(config.data, isJob);
  } catch (error) {
    if (!(error instanceof ExtendsError)) throw error;
    throw new PipelineFileError(GITLAB_CI_FILE, [problemIn([error.job, 'extends'], `${error.message}${unreadInclude}`)]);
  }
  try {
    data = resolveReferences(data);
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    throw new PipelineFileError(GITLAB_CI_FILE, [problemIn(error.at, `${error.message}${unreadInclude}`)]);
  }

  const globals = validate(GlobalsSchema, Object.fromEntries(Object.entries(data).filter(([key]) => GLOBAL_KEYWORDS.has(key))), [], issues) ?? {};
  const jobNames = Object.keys(data).filter(isJob);
  const jobs = new Map<string, GitlabJob>();
  const triggerJobs: string[] = [];
  for (const name of jobNames) {
    if (!isMapping(data[name])) {
      problems.push(problemIn([name], 'must be a job: a mapping with at least script', true));
      continue;
    }
    if ((data[name] as Mapping).trigger !== undefined) {
      triggerJobs.push(name);
      continue;
    }
    const job = validate(JobSchema, data[name], [name], issues);
    if (!job) continue;
    for (const { path, problem, check } of ruleChecks(job)) {
      try {
        check();
      } catch (error) {
        if (!(error instanceof ExpressionError) && !(error instanceof RegexError)) throw error;
        problems.push(problemIn([name, ...path], `${problem}: ${error.message}`));
      }
    }
    jobs.set(name, job);
  }
  if (jobNames.length === 0) {
    problems.push(
      unread
        ? `the file's jobs come from ${unreadPlace}, which Slipway does not read: copy the jobs into the repository and include them with local:`
        : 'the file defines no jobs: add a job with a script, such as test: { image: …, script: [...] }',
    );
  }

  (globals.workflow?.rules ?? []).forEach((rule, index) => {
    const checks: RuleCheck[] = [
      ...(rule.if === undefined ? [] : [{ path: ['if'], problem: 'is not an expression Slipway understands', check: () => void parseExpression(rule.if!) }]),
      ...globChecks(['exists'], rule.exists),
    ];
    for (const { path, problem, check } of checks) {
      try {
        check();
      } catch (error) {
        if (!(error instanceof ExpressionError) && !(error instanceof RegexError)) throw error;
        problems.push(problemIn(['workflow', 'rules', index, ...path], `${problem}: ${error.message}`));
      }
    }
  });
  const stages = stagesOf(globals);
  for (const [name, job] of jobs) {
    const stage = job.stage ?? 'test';
    if (!stages.includes(stage)) {
      // A job without `stage` is in `test`, which a file's own `stages` may not have.
      const declared = stages.filter((each) => !each.startsWith('.')).join(', ');
      problems.push(
        job.stage === undefined
          ? problemIn([name], `has no stage, so it is in "test", which is not one of the stages: ${declared}`, true)
          : problemIn([name, 'stage'], `"${stage}" is not one of the stages: ${declared}`),
      );
    }
    if (!job.image && !globals.default?.image && !globals.image && !options.defaultImage) {
      problems.push(problemIn([name], NO_IMAGE, true));
    }
  }
  problems.push(...issues.flatMap((issue) => describeIssues(config.fileOf(issue.path), [issue])));
  const instances = new Map<string, JobInstance[]>();
  const owners = new Map<string, string>();
  for (const [name, job] of jobs) {
    try {
      instances.set(name, instancesOf(name, job.parallel));
    } catch (error) {
      if (!(error instanceof ParallelError)) throw error;
      problems.push(problemIn([name, 'parallel'], error.message));
      continue;
    }
    owners.set(name, name);
    for (const instance of instances.get(name)!) owners.set(instance.name, name);
  }
  if (problems.length === 0) {
    const stageIndex = (job: GitlabJob) => stages.indexOf(job.stage ?? 'test');
    for (const problem of checkNeeds(jobs, (need) => owners.get(need), stageIndex, (job) => job.stage ?? 'test')) problems.push(problemIn(problem.path, problem.message));
  }
  if (problems.length > 0) throw new PipelineFileError(GITLAB_CI_FILE, problems);

  const ignored = new Places();
  const leftOut: string[] = [];
  const deployJobs: string[] = [];
  let replacesDockerHost = globals.variables?.DOCKER_HOST !== undefined;
  for (const key of Object.keys(data)) {
    if (GLOBAL_KEYWORDS.has(key) && !SUPPORTED_GLOBAL_KEYWORDS.has(key)) ignored.add(key, 'top level');
  }
  for (const { file, path, what } of config.unread) ignored.add(what.split(' ')[0]!, `line ${lineOf(file, path, true)}${file.included ? ` of ${file.file}` : ''}`);
  for (const key of unknownKeys(data.default, SUPPORTED_DEFAULT_KEYWORDS)) ignored.add(key, 'default');
  for (const key of unknownKeys(data.workflow, SUPPORTED_WORKFLOW_KEYWORDS, 'workflow:')) ignored.add(key, 'top level');
  for (const rule of Array.isArray(globals.workflow?.rules) ? globals.workflow.rules : []) {
    for (const key of unknownKeys(rule, SUPPORTED_WORKFLOW_RULE_KEYWORDS, 'workflow:rules:')) ignored.add(key, 'top level');
  }

  const workflow = decideWorkflow(globals.workflow?.rules, { ...variables, ...globals.variables }, checkout);
  if (!workflow.run) return { source: GITLAB_CI_FILE, jobs: [], skipped: workflow.why };
  // The matching workflow rule's variables are the pipeline's own, over the file's top-level ones.
  const globalVariables = { ...globals.variables, ...workflow.variables };
  const name = globals.workflow?.name === undefined ? undefined : expandVariables(globals.workflow.name, { ...variables, ...globalVariables }).trim().slice(0, 255);

  const planned: ScriptJobSpec[] = [];
  const decisions = new Map<string, Decision>();
  const cacheProblems: string[] = [];
  const tagged = new Set<string>();
  for (const [name, job] of jobs) {
    for (const keyword of ignoredInJob(data[name] as Mapping)) ignored.add(keyword, name);
    // `docker:dind` asks for a Docker daemon, and every pipeline already has its own.
    const services = (job.services ?? globals.default?.services ?? globals.services ?? []).filter((service) => !isDindService(service.image));
    const image = job.image ?? globals.default?.image ?? globals.image;
    if (job.variables?.DOCKER_HOST !== undefined) replacesDockerHost = true;
    const tags = job.tags ?? globals.default?.tags ?? [];
    for (const tag of tags) tagged.add(tag);

    const artifacts = artifactsSpec(job.artifacts ?? globals.default?.artifacts);
    const cacheEntries = job.cache ?? globals.default?.cache ?? globals.cache ?? [];

    for (const instance of instances.get(name)!) {
      const jobVariables = { ...globalVariables, ...job.variables, ...instance.variables };
      const caches = cacheEntries.flatMap((entry, index) => {
        const spec = cacheSpec(entry, { ...variables, ...jobVariables });
        if (typeof spec === 'string') {
          cacheProblems.push(problemIn([name, 'cache', ...(job.cache && Array.isArray((data[name] as Mapping).cache) ? [index] : []), 'policy'], spec));
          return [];
        }
        return spec ? [spec] : [];
      });
      let decision;
      try {
        decision = decideJob(job, { ...variables, ...jobVariables }, checkout);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        throw new PipelineFileError(GITLAB_CI_FILE, [problemIn([name, job.rules ? 'rules' : 'only'], `cannot be decided: ${error.message}`)]);
      }
      decisions.set(instance.name, decision);
      if (!decision.run && !decision.listed) {
        leftOut.push(`\`${instance.name}\` (${decision.why})`);
        continue;
      }
      const stage = job.stage ?? 'test';
      const isDeploy = stage === DEPLOY_STAGE || job.environment !== undefined;
      if (isDeploy) deployJobs.push(instance.name);
      const skipReason = isDeploy ? 'deploy job: deploys go through /deploy after approval' : decision.run ? undefined : decision.why;
      planned.push({
        kind: 'script',
        name: instance.name,
        stage,
        image: image ?? options.defaultImage!,
        ...(image === undefined ? { imageFromDefault: true } : {}),
        ...(services.length > 0 ? { services } : {}),
        script: [...(job.before_script ?? globals.default?.before_script ?? globals.before_script ?? []), ...job.script],
        afterScript: job.after_script ?? globals.default?.after_script ?? globals.after_script,
        variables: { ...jobVariables, ...(decision.run ? decision.variables : {}) },
        dockerAccess: true,
        ...(decision.run ? { when: decision.when } : {}),
        ...(decision.run ? allowFailureOf(decision.allowFailure ?? job.allow_failure) : {}),
        ...(skipReason ? { skipReason } : {}),
        ...(needsOf(job, decision) ? { needs: needsOf(job, decision)!.map((need) => need.job) } : {}),
        ...(job.timeout === undefined ? {} : { timeoutMs: job.timeout * 1000 }),
        // The schema let only `/…/flags` through.
        ...(job.coverage === undefined ? {} : { coverage: slashPattern(job.coverage)! }),
        ...(job.retry && job.retry.max > 0 ? { retry: { max: job.retry.max, when: job.retry.when, ...(job.retry.exit_codes ? { exitCodes: job.retry.exit_codes } : {}) } } : {}),
        ...(artifacts ? { artifacts } : {}),
        ...(caches.length > 0 ? { cache: caches } : {}),
        interruptible: job.interruptible ?? globals.default?.interruptible ?? false,
        ...(job.resource_group === undefined ? {} : { resourceGroup: job.resource_group }),
      });
    }
  }
  if (cacheProblems.length > 0) throw new PipelineFileError(GITLAB_CI_FILE, cacheProblems);
  planned.sort((a, b) => stages.indexOf(a.stage) - stages.indexOf(b.stage));
  // A need on a job this pipeline leaves out: dropped when optional, refused otherwise, as GitLab does.
  // A need on a `parallel` job is a need on every job it makes.
  const inPipeline = new Set(planned.map((job) => job.name));
  const missingNeeds: string[] = [];
  for (const spec of planned) {
    if (!spec.needs) continue;
    const owner = jobs.get(owners.get(spec.name)!)!;
    const declared = needLists(owners.get(spec.name)!, owner).find((list) => list.needs === needsOf(owner, decisions.get(spec.name)!))!;
    spec.needs = declared.needs.flatMap((need, index) => {
      const names = (instances.get(need.job) ?? [{ name: need.job }]).map((instance) => instance.name).filter((each) => inPipeline.has(each));
      if (names.length > 0) return names;
      if (!need.optional && owners.has(need.job)) {
        missingNeeds.push(problemIn([...declared.at, index], `needs "${need.job}", which is not in this pipeline (its rules leave it out): mark the need optional: true, or run both`));
      }
      return [];
    });
  }
  if (missingNeeds.length > 0) throw new PipelineFileError(GITLAB_CI_FILE, missingNeeds);

  // Whose artifacts each job receives: `dependencies`, else its needs (but `artifacts: false`), else the earlier stages.
  const dependencyProblems: string[] = [];
  for (const spec of planned) {
    const ownerName = owners.get(spec.name)!;
    const owner = jobs.get(ownerName)!;
    const instancesIn = (job: string) => (instances.get(job) ?? [{ name: job }]).map((instance) => instance.name).filter((each) => inPipeline.has(each));
    if (owner.dependencies !== undefined) {
      spec.artifactsFrom = owner.dependencies.flatMap((dependency, index) => {
        const dependencyOwner = jobs.get(dependency);
        // GitLab's own check: a job of this stage or an earlier one (the same stage only helps with needs).
        if (!dependencyOwner || stages.indexOf(dependencyOwner.stage ?? 'test') > stages.indexOf(spec.stage)) {
          dependencyProblems.push(problemIn([ownerName, 'dependencies', index], `names "${dependency}", which is not a job of this stage or an earlier one: list jobs whose artifacts this job needs`));
          return [];
        }
        return instancesIn(dependency);
      });
    } else if (spec.needs) {
      const declared = needsOf(owner, decisions.get(spec.name)!) ?? [];
      spec.artifactsFrom = declared.filter((need) => need.artifacts !== false).flatMap((need) => instancesIn(need.job));
    } else {
      spec.artifactsFrom = planned.filter((other) => stages.indexOf(other.stage) < stages.indexOf(spec.stage)).map((other) => other.name);
    }
  }
  if (dependencyProblems.length > 0) throw new PipelineFileError(GITLAB_CI_FILE, dependencyProblems);

  const notes: string[] = [];
  if (ignored.size > 0) notes.push(`Ignored keywords (Slipway does not support them): ${ignored.format()}.`);
  if (replacesDockerHost) notes.push('`DOCKER_HOST` from the file is replaced: every job reaches the pipeline’s own Docker daemon through the `DOCKER_HOST` Slipway sets.');
  if (leftOut.length > 0) notes.push(`Not in this pipeline: ${leftOut.join(', ')}.`);
  if (triggerJobs.length > 0) {
    notes.push(`Trigger jobs are not run (Slipway does not start downstream pipelines): ${triggerJobs.map((name) => `\`${name}\``).join(', ')}.`);
  }
  notes.push(...(checkout?.notes?.() ?? []));
  const repeated = config.files.flatMap((file) => repeatedKeys(file).map((each) => ({ ...each, where: file.included ? ` of ${file.file}` : '' })));
  if (repeated.length > 0) {
    notes.push(`Keys written twice in one mapping, where the last one counts (as in GitLab): ${repeated.map(({ key, line, where }) => `\`${key}\` (line ${line}${where})`).join(', ')}.`);
  }
  if (deployJobs.length > 0) {
    notes.push(
      `Deploy jobs are not run by pipelines (${deployJobs.map((name) => `\`${name}\``).join(', ')}): deploying is what \`/deploy <sha> <environment>\` does in Slack, after approval.`,
    );
  }
  // One daemon runs the whole pipeline, so its host must have every tag any of its jobs asks for.
  return { source: GITLAB_CI_FILE, ...(name ? { name } : {}), jobs: planned, notes, ...(tagged.size > 0 ? { tags: [...tagged].sort() } : {}) };
}
