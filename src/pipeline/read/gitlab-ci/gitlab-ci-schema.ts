import { z } from 'zod';
import { ServicesSchema } from '../service-schema.js';
import { ArtifactsSchema, CacheSchema, DependenciesSchema } from './artifacts-cache-schema.js';
import { parseGitlabDuration } from './gitlab-duration.js';

/**
 * The part of GitLab's `.gitlab-ci.yml` that Slipway runs. Objects are loose on purpose: a
 * keyword Slipway does not support is listed in the MR comment as ignored (see
 * `ignoredKeywords`), not refused, so a team's existing file runs unchanged.
 */

const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }).transform(String);

const variableValue = z.union(
  [scalar, z.looseObject({ value: scalar, description: z.string().optional(), expand: z.boolean().optional() }).transform((value) => value.value)],
  { error: 'must be a value, or a mapping with value' },
);

export const VariablesSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be a variable name such as MY_VAR' }),
  variableValue,
  { error: 'must be a mapping of NAME: value' },
);

export const ImageSchema = z.union(
  [
    z.string().min(1, { error: 'must not be empty' }),
    z.looseObject({ name: z.string({ error: 'must be an image name' }).min(1, { error: 'must not be empty' }) }).transform((image) => image.name),
  ],
  { error: 'must be an image name such as python:3.8-slim, or a mapping with name' },
);

const ENVIRONMENT_ACTIONS = ['start', 'prepare', 'stop', 'verify', 'access'] as const;
const DEPLOYMENT_TIERS = ['production', 'staging', 'testing', 'development', 'other'] as const;

/** `environment: production`, or GitLab's mapping; the name as written (variables expanded later). */
const EnvironmentSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { name: value } : value),
  z.looseObject(
    {
      name: z.string({ error: 'is missing: name the environment, such as production or review/$CI_COMMIT_REF_SLUG' }).min(1, { error: 'must not be empty' }),
      url: z.string({ error: 'must be a URL such as https://$CI_ENVIRONMENT_SLUG.example.com' }).optional(),
      action: z.enum(ENVIRONMENT_ACTIONS, { error: `must be one of ${ENVIRONMENT_ACTIONS.join(', ')}` }).optional(),
      deployment_tier: z.enum(DEPLOYMENT_TIERS, { error: `must be one of ${DEPLOYMENT_TIERS.join(', ')}` }).optional(),
      on_stop: z.string({ error: 'must name the job that stops the environment' }).min(1).optional(),
      // `never`, a duration, or one a variable gives (read when the job is planned).
      auto_stop_in: z
        .string({ error: 'must be a duration such as 1 week, or never' })
        .refine((value) => value.trim() === 'never' || value.includes('$') || parseGitlabDuration(value) !== undefined, { error: 'must be a duration such as 1 week or 2 days, or never' })
        .optional(),
    },
    { error: 'must be an environment name such as production, or a mapping with name (and url, action, deployment_tier, on_stop, auto_stop_in)' },
  ),
);

/** GitLab's limit on lists in lists in a script (YAML anchors make them: `- *setup`). */
const MAX_SCRIPT_NESTING = 10;
const COMMANDS_ERROR = 'must be a command or a list of commands (quote a command YAML would read as a number or true/false)';

/** What is wrong with a script as GitLab reads it, walked without recursion (a file may nest lists without end). */
function scriptProblem(value: unknown): string | undefined {
  if (typeof value === 'string') return undefined;
  if (!Array.isArray(value)) return value === undefined ? 'is missing: every job needs a script' : COMMANDS_ERROR;
  const lists: Array<[unknown[], number]> = [[value, 1]];
  for (let next = lists.pop(); next; next = lists.pop()) {
    const [list, depth] = next;
    if (depth > MAX_SCRIPT_NESTING) return `nests lists more than ${MAX_SCRIPT_NESTING} levels deep, which GitLab refuses`;
    for (const item of list) {
      if (Array.isArray(item)) lists.push([item, depth + 1]);
      else if (typeof item !== 'string') return COMMANDS_ERROR;
    }
  }
  return undefined;
}

/** A command or a list of them, lists in lists flattened as GitLab flattens them (up to its limit). */
const ScriptSchema = z
  .unknown()
  .superRefine((value, context) => {
    const problem = scriptProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })
  .transform((script) => (typeof script === 'string' ? [script] : ((script as unknown[]).flat(MAX_SCRIPT_NESTING) as string[])));

export const WHEN_VALUES = ['on_success', 'on_failure', 'always', 'manual', 'delayed', 'never'] as const;
const WhenSchema = z.enum(WHEN_VALUES, { error: `must be one of ${WHEN_VALUES.join(', ')}` });
/** A job's own `when`: GitLab's job.rb allows `never` only inside `rules` and `workflow:rules`. */
const JOB_WHEN_VALUES = WHEN_VALUES.filter((value) => value !== 'never');
const JobWhenSchema = z.enum(JOB_WHEN_VALUES, { error: `must be one of ${JOB_WHEN_VALUES.join(', ')} (never belongs in rules: use rules: [{ when: never }])` });

/** GitLab's limit on `start_in`. */
export const MAX_START_IN_SECONDS = 7 * 86_400;

/** A delayed job's `start_in: 30 minutes`, as GitLab writes it (at most a week); seconds in the plan. */
const StartInSchema = z.string({ error: 'must be a duration such as 30 minutes or 1 day' }).transform((value, context) => {
  const seconds = parseGitlabDuration(value);
  if (seconds === undefined) {
    context.addIssue({ code: 'custom', message: 'must be a duration such as 30 minutes, 2 hours or 1 day' });
    return z.NEVER;
  }
  if (seconds > MAX_START_IN_SECONDS) {
    context.addIssue({ code: 'custom', message: 'must be at most 1 week, as in GitLab' });
    return z.NEVER;
  }
  return seconds;
});

const matrixValue = z.union([z.string(), z.number(), z.boolean()], { error: 'must be a value or a list of values' }).transform(String);

/** `matrix: [{ OS: [linux, mac], ARCH: amd64 }, …]`: every combination of each entry's values. */
const MatrixSchema = z
  .array(z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.union([matrixValue, z.array(matrixValue).min(1)]), { error: 'must be a mapping of VARIABLE: [values]' }), {
    error: 'must be a list of mappings of VARIABLE: [values]',
  })
  .min(1);

/** `parallel: { matrix: [...] }` of a need: which instances of a `parallel:matrix` job it needs. */
const NeedParallelSchema = z.strictObject({ matrix: MatrixSchema });

const NeedSchema = z.union(
  [
    z.string().min(1).transform((job) => ({ job, optional: false, artifacts: true })),
    z.looseObject({
      job: z.string({ error: 'must name a job' }).min(1),
      optional: z.boolean({ error: 'must be true or false' }).default(false),
      artifacts: z.boolean().optional(),
      parallel: NeedParallelSchema.optional(),
    }),
  ],
  { error: 'must be a job name, or a mapping with job (and optional, artifacts)' },
);

/** A need on another project's or pipeline's job only fetches its artifacts: it orders nothing here. */
const isCrossPipeline = (need: z.output<typeof NeedSchema>) => 'project' in need || 'pipeline' in need;

const NeedsSchema = z.array(NeedSchema, { error: 'must be a list of job names' }).transform((needs) => needs.filter((need) => !isCrossPipeline(need)));

const globList = z.array(z.string({ error: 'must be file paths or globs such as Dockerfile or **/*.py' }), { error: 'must be a list of file paths or globs' });

/** `exists: [Dockerfile]` or `exists: { paths: [...] }`: files of this commit. */
const ExistsSchema = z.union([globList, z.looseObject({ paths: globList }).transform((value) => value.paths)], {
  error: 'must be a list of file paths or globs, or a mapping with paths',
});

/** `changes: [src/**\/*]` or `changes: { paths: [...], compare_to: main }`: files this push or merge request changed. */
const ChangesSchema = z.union(
  [globList.transform((paths) => ({ paths, compareTo: undefined as string | undefined })), z.strictObject({ paths: globList, compare_to: z.string({ error: 'must be a branch, tag or commit' }).optional() }).transform((value) => ({ paths: value.paths, compareTo: value.compare_to }))],
  { error: 'must be a list of file paths or globs, or a mapping with paths (and compare_to)' },
);

const RuleSchema = z.looseObject(
  {
    if: z.string({ error: 'must be an expression such as $CI_COMMIT_BRANCH == "main"' }).optional(),
    exists: ExistsSchema.optional(),
    changes: ChangesSchema.optional(),
    when: WhenSchema.optional(),
    allow_failure: z.boolean({ error: 'must be true or false' }).optional(),
    variables: VariablesSchema.optional(),
    /** Replaces the job's own `needs` when this rule is the one that matches. */
    needs: NeedsSchema.optional(),
    start_in: StartInSchema.optional(),
  },
  { error: 'must be a mapping with if and when' },
);

const RefListSchema = z.array(z.string({ error: 'must be a branch name, /regex/ or keyword' }), { error: 'must be a list of refs' });

/** `only`/`except`: a list of refs, or a mapping with `refs` and `variables`. */
const RefFilterSchema = z.union(
  [
    z.string().transform((ref) => ({ refs: [ref], variables: undefined })),
    RefListSchema.transform((refs) => ({ refs, variables: undefined })),
    z.looseObject({ refs: RefListSchema.optional(), variables: z.array(z.string(), { error: 'must be a list of expressions' }).optional() }),
  ],
  { error: 'must be a list of refs, or a mapping with refs and variables' },
);

const exitCode = z.number({ error: 'must be exit codes such as 137 or [1, 137]' }).int({ error: 'must be whole numbers' }).min(0).max(255, { error: 'must be exit codes from 0 to 255' });

/** `true`/`false`, or GitLab's `exit_codes`: only those exit codes are allowed to fail. */
const AllowFailureSchema = z.union(
  [
    z.boolean(),
    z.strictObject({ exit_codes: z.union([exitCode.transform((code) => [code]), z.array(exitCode).min(1)]) }).transform((value) => ({ exitCodes: value.exit_codes })),
  ],
  { error: 'must be true, false, or a mapping with exit_codes' },
);

/** `parallel: 3`, or `parallel: { matrix: [{ OS: [linux, mac], ARCH: amd64 }, …] }`. */
const ParallelSchema = z.union(
  [
    z.number().int({ error: 'must be a whole number of jobs' }).min(1, { error: 'must be at least 1' }).max(200, { error: 'must be at most 200, GitLab\'s limit' }),
    z.strictObject({ matrix: MatrixSchema }),
  ],
  { error: 'must be a number from 1 to 200, or a mapping with matrix' },
);

/** `timeout: 1h 30m`, as GitLab writes it; seconds in the plan. */
const TimeoutSchema = z.union([z.string(), z.number().int().positive()], { error: 'must be a duration such as 30m or 1h 30m' }).transform((value, context) => {
  const seconds = typeof value === 'number' ? value : parseGitlabDuration(value);
  if (seconds === undefined) {
    context.addIssue({ code: 'custom', message: 'must be a duration such as 30m, 1h 30m or 2 hours' });
    return z.NEVER;
  }
  return seconds;
});

export const RETRY_WHEN = [
  'always',
  'unknown_failure',
  'script_failure',
  'api_failure',
  'stuck_or_timeout_failure',
  'runner_system_failure',
  'runner_unsupported',
  'stale_schedule',
  'job_execution_timeout',
  'archived_failure',
  'unmet_prerequisites',
  'scheduler_failure',
  'data_integrity_failure',
] as const;
const retryCount = z.number({ error: 'must be 0, 1 or 2' }).int({ error: 'must be 0, 1 or 2' }).min(0, { error: 'must be 0, 1 or 2' }).max(2, { error: 'must be 0, 1 or 2' });
const retryWhen = z.enum(RETRY_WHEN, { error: `must be one of ${RETRY_WHEN.join(', ')}` });

/** `retry: 2`, or `retry: { max: 2, when: [script_failure], exit_codes: [1] }`; one schema, so a mistake names its field. */
const RetrySchema = z.preprocess(
  (value) => (typeof value === 'number' ? { max: value } : value),
  z.strictObject(
    {
      max: retryCount.default(0),
      when: z
        .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(retryWhen, { error: `must be one or more of ${RETRY_WHEN.join(', ')}` }))
        .default(['always']),
      exit_codes: z.union([exitCode.transform((code) => [code]), z.array(exitCode).min(1)]).optional(),
    },
    { error: 'must be 0, 1 or 2, or a mapping with max, when and exit_codes' },
  ),
);

/** What a job and a trigger job share: where it sits, when it runs, what it needs. */
const PLACEMENT = {
  stage: z.string({ error: 'must be a stage name' }).min(1).optional(),
  /** The old spelling of `stage`, still in GitLab's allowed keys (and its own templates); `stage` wins. */
  type: z.string({ error: 'must be a stage name (type is the old spelling of stage)' }).min(1).optional(),
  variables: VariablesSchema.optional(),
  only: RefFilterSchema.optional(),
  except: RefFilterSchema.optional(),
  rules: z.array(RuleSchema, { error: 'must be a list of rules' }).min(1, { error: 'must list at least one rule (or leave rules out)' }).optional(),
  when: JobWhenSchema.optional(),
  allow_failure: AllowFailureSchema.optional(),
  needs: NeedsSchema.optional(),
};

export const JobSchema = z.looseObject(
  {
    ...PLACEMENT,
    image: ImageSchema.optional(),
    services: ServicesSchema.optional(),
    script: ScriptSchema.refine((script) => script.length > 0, { error: 'must list at least one command' }),
    before_script: ScriptSchema.optional(),
    after_script: ScriptSchema.optional(),
    parallel: ParallelSchema.optional(),
    timeout: TimeoutSchema.optional(),
    retry: RetrySchema.optional(),
    coverage: z
      .string({ error: 'must be a pattern such as /Coverage: \\d+\\.\\d+%/' })
      .regex(/^\/.*\/[a-z]*$/s, { error: 'must be a pattern written between slashes, such as /Coverage: \\d+\\.\\d+%/' })
      .optional(),
    environment: EnvironmentSchema.optional(),
    artifacts: ArtifactsSchema.optional(),
    cache: CacheSchema.optional(),
    dependencies: DependenciesSchema.optional(),
    interruptible: z.boolean({ error: 'must be true or false' }).optional(),
    tags: z.array(z.string({ error: 'must be runner tags' }), { error: 'must be a list of runner tags' }).optional(),
    resource_group: z.string({ error: 'must be a name, such as production' }).min(1, { error: 'must be a name, such as production' }).optional(),
    start_in: StartInSchema.optional(),
  },
  { error: 'must be a mapping with at least script' },
).superRefine((job, context) => {
  // GitLab's own checks: a delayed job says how long to wait, and only a delayed one does.
  const delayedRules = (job.rules ?? []).map((rule, index) => [rule, index] as const).filter(([rule]) => (rule.when ?? job.when) === 'delayed');
  if (job.when === 'delayed' && job.start_in === undefined && !job.rules) {
    context.addIssue({ code: 'custom', path: ['start_in'], message: 'is needed with when: delayed: say how long to wait, such as start_in: 30 minutes' });
  }
  for (const [rule, index] of delayedRules) {
    if (rule.start_in === undefined && job.start_in === undefined) {
      context.addIssue({ code: 'custom', path: ['rules', index, 'start_in'], message: 'is needed with when: delayed: say how long to wait, such as start_in: 30 minutes' });
    }
  }
  if (job.start_in !== undefined && job.when !== 'delayed' && delayedRules.length === 0) {
    context.addIssue({ code: 'custom', path: ['start_in'], message: 'only goes with when: delayed' });
  }
}).transform((job) => (job.stage === undefined && job.type !== undefined ? { ...job, stage: job.type } : job));

/** One file a child pipeline is made of: `local:` (this commit), an earlier job's `artifact:`, or another project's. */
const TriggerIncludeSchema = z.union(
  [
    z.string({ error: 'must be a file of the repository, such as ci/child.yml' }).min(1),
    z.looseObject({
      local: z.string().min(1).optional(),
      artifact: z.string().min(1).optional(),
      job: z.string().min(1).optional(),
      project: z.string().min(1).optional(),
      file: z.union([z.string(), z.array(z.string())]).optional(),
      template: z.string().optional(),
    }).refine((entry) => entry.artifact === undefined || entry.job !== undefined, {
      error: 'names an artifact without its job: add job, the earlier job whose artifacts hold the file',
      path: ['job'],
    }),
  ],
  { error: 'must be a file path, or a mapping with local (or artifact and job, or project and file)' },
);

/** `trigger:`: a child pipeline (`include:`) or another project's pipeline (`project:`, or the project's path). */
const TriggerSchema = z.union(
  [
    z.string({ error: 'must be a project path or a mapping with include or project' }).min(1),
    z.looseObject({
      include: z.union([TriggerIncludeSchema, z.array(TriggerIncludeSchema, { error: 'must be a list of files' }).min(1).max(3, { error: 'may list at most 3 files, as in GitLab' })]).optional(),
      project: z.string().min(1).optional(),
      branch: z.string().optional(),
      strategy: z.literal('depend', { error: 'must be depend (or left out)' }).optional(),
      forward: z
        .looseObject({
          yaml_variables: z.boolean({ error: 'must be true or false' }).optional(),
          pipeline_variables: z.boolean({ error: 'must be true or false' }).optional(),
        })
        .optional(),
    }),
  ],
  { error: 'must be a project path or a mapping with include or project' },
);

/** A trigger job (GitLab's bridge): no script of its own, it starts a downstream pipeline. */
export const BridgeSchema = z
  .looseObject(
    { ...PLACEMENT, trigger: TriggerSchema },
    { error: 'must be a mapping with trigger' },
  )
  .transform((job) => (job.stage === undefined && job.type !== undefined ? { ...job, stage: job.type } : job));

/** Keywords that may also sit under `default:`. */
export const DefaultsSchema = z.looseObject(
  {
    image: ImageSchema.optional(),
    services: ServicesSchema.optional(),
    before_script: ScriptSchema.optional(),
    after_script: ScriptSchema.optional(),
    artifacts: ArtifactsSchema.optional(),
    cache: CacheSchema.optional(),
    interruptible: z.boolean({ error: 'must be true or false' }).optional(),
    tags: z.array(z.string({ error: 'must be runner tags' }), { error: 'must be a list of runner tags' }).optional(),
  },
  { error: 'must be a mapping' },
);

const WorkflowRuleSchema = z.looseObject(
  {
    if: z.string({ error: 'must be an expression such as $CI_COMMIT_BRANCH == "main"' }).optional(),
    when: z.enum(['always', 'never'], { error: 'must be always or never' }).optional(),
    exists: ExistsSchema.optional(),
    changes: ChangesSchema.optional(),
    variables: VariablesSchema.optional(),
  },
  { error: 'must be a mapping with if and when' },
);

/** `include: { rules }`: whether a file is included; the same keywords as workflow's, variables aside. */
export const IncludeRulesSchema = z.array(WorkflowRuleSchema.omit({ variables: true }), { error: 'must be a list of rules' }).min(1, { error: 'must list at least one rule (or leave rules out)' });

/** `workflow:rules`: whether this pipeline runs at all, and variables for all of it. */
const WorkflowSchema = z.looseObject(
  {
    name: z.string({ error: 'must be text, such as Pipeline for $CI_COMMIT_REF_NAME' }).max(255, { error: 'must be at most 255 characters, as in GitLab' }).optional(),
    rules: z.array(WorkflowRuleSchema, { error: 'must be a list of rules' }).min(1, { error: 'must list at least one rule (or leave rules out)' }).optional() },
  { error: 'must be a mapping with rules' },
);

export const GlobalsSchema = DefaultsSchema.extend({
  workflow: WorkflowSchema.optional(),
  variables: VariablesSchema.optional(),
  stages: z.array(z.string({ error: 'must be a stage name' }).min(1), { error: 'must be a list of stage names' }).optional(),
  default: DefaultsSchema.optional(),
});

export type GitlabJob = z.output<typeof JobSchema>;
export type GitlabBridge = z.output<typeof BridgeSchema>;
export type GitlabGlobals = z.output<typeof GlobalsSchema>;

/** Top-level keys that are not jobs; those not in SUPPORTED_GLOBAL_KEYWORDS are reported as ignored. */
export const GLOBAL_KEYWORDS = new Set(['image', 'services', 'variables', 'stages', 'before_script', 'after_script', 'default', 'include', 'workflow', 'cache', 'types']);
export const SUPPORTED_GLOBAL_KEYWORDS = new Set(['image', 'services', 'variables', 'stages', 'before_script', 'after_script', 'default', 'workflow', 'include', 'cache']);
export const SUPPORTED_WORKFLOW_KEYWORDS = new Set(['rules', 'name']);
export const SUPPORTED_WORKFLOW_RULE_KEYWORDS = new Set(['if', 'exists', 'changes', 'when', 'variables']);
export const SUPPORTED_DEFAULT_KEYWORDS = new Set(['image', 'services', 'before_script', 'after_script', 'artifacts', 'cache', 'interruptible', 'tags']);
export const SUPPORTED_JOB_KEYWORDS = new Set([
  'stage',
  'type',
  'image',
  'services',
  'script',
  'before_script',
  'after_script',
  'variables',
  'only',
  'except',
  'rules',
  'when',
  'allow_failure',
  'needs',
  'parallel',
  'timeout',
  'retry',
  'coverage',
  'environment',
  'extends',
  'artifacts',
  'cache',
  'dependencies',
  'interruptible',
  'tags',
  'resource_group',
  'start_in',
]);
export const SUPPORTED_ARTIFACTS_KEYWORDS = new Set(['paths', 'exclude', 'untracked', 'when', 'expire_in', 'name', 'reports']);
export const SUPPORTED_REPORTS = new Set(['dotenv']);
export const SUPPORTED_CACHE_KEYWORDS = new Set(['key', 'paths', 'untracked', 'policy', 'when', 'fallback_keys']);
export const SUPPORTED_RULE_KEYWORDS = new Set(['if', 'exists', 'changes', 'when', 'allow_failure', 'variables', 'needs', 'start_in']);
export const SUPPORTED_REF_FILTER_KEYWORDS = new Set(['refs', 'variables']);
