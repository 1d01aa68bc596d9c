import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { lineOf, yamlProblem } from '../util/yaml-problems.js';

/** `90`, `90s`, `15m`, `2h`, `1d` -> seconds. */
const DURATION_ERROR = 'must be seconds or a duration such as 15m, 2h, 1d';
const Duration = z
  .union([z.number().int().positive({ error: DURATION_ERROR }), z.string().regex(/^\d+[smhd]$/, { error: DURATION_ERROR })], { error: DURATION_ERROR })
  .transform((value) => (typeof value === 'number' ? value : Number(value.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86400 }[value.slice(-1) as 's']));

/** Slack member ids (U…, W…) and user group ids (S…). */
const SlackIds = z.array(z.string().regex(/^[UWS][A-Z0-9]{2,}$/, { error: 'must be Slack user ids (U…) or user group ids (S…)' }));

const DeployAction = z.discriminatedUnion(
  'type',
  [
    /** The environment tag is the deployment: a GitOps tool (Flux, Argo CD) watches it. */
    z.strictObject({ type: z.literal('none') }),
    /** The pipeline file's deploy jobs for the environment run, after promotion; their exit decides the deploy. */
    z.strictObject({ type: z.literal('job') }),
    /** POST a JSON description of the deployment, signed with HMAC-SHA256; any 2xx is success. */
    z.strictObject({
      type: z.literal('webhook'),
      url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
      secret: z.string().min(16, { error: 'must be at least 16 characters' }),
      timeout: Duration.default(30),
    }),
    /** Run the image as a container on a Docker host, replacing the old one only once the new one is healthy. */
    z.strictObject({
      type: z.literal('docker'),
      dockerHost: z.string().regex(/^(unix|tcp|http|https):\/\/.+/, { error: 'must be unix:///path or tcp://host:port' }).optional(),
      container: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, { error: 'must be a container name' }),
      network: z.string().default('bridge'),
      env: z.record(z.string(), z.string()).default({}),
      healthTimeout: Duration.default(60),
    }),
  ],
  { error: 'must be none, job, webhook or docker' },
);

const Environment = z.strictObject({
  /**
   * `none`: a review app's environment (a name or a pattern such as `review/*`): its deploy jobs
   * run inside the pipeline as GitLab runs them, its `on_stop` job when the merge request closes.
   */
  approval: z.enum(['required', 'none'], { error: 'must be required or none' }).default('required'),
  /** Who may ask for a deploy; absent means anyone in the workspace. */
  requesters: SlackIds.optional(),
  /** At least one where approval is required (checked with the project). */
  approvers: SlackIds.default([]),
  allowSelfApproval: z.boolean().default(false),
  /** How long a request waits for a decision. */
  approvalTimeout: Duration.default(3600),
  /** Unset: the file's deploy jobs for the environment when it has some, else `none`. */
  action: DeployAction.optional(),
  /** Only commits whose pipeline passed on one of these refs (`main`, `release/*`) may be deployed here. */
  branches: z.array(z.string().min(1), { error: 'must be a list of branch or tag names or patterns such as release/*' }).optional(),
  /** Environments of the same project where the same image must have been deployed first. */
  after: z.array(z.string().min(1), { error: 'must be a list of environment names' }).optional(),
  /** Lock the environment once a rollback succeeds, so nobody deploys the bad commit again by accident. */
  lockAfterRollback: z.boolean({ error: 'must be true or false' }).default(false),
  /** Approve asks for confirmation first (Slack's confirmation dialog). */
  confirm: z.boolean({ error: 'must be true or false' }).default(false),
  /** A Slack channel (its id, C…) where every outcome of a deploy here is announced. */
  channel: z.string({ error: 'must be a Slack channel id such as C0123ABCD' }).regex(/^[CG][A-Z0-9]{2,}$/, { error: 'must be a Slack channel id such as C0123ABCD (not a #name: ids survive renames)' }).optional(),
  /** Where the environment is reached, shown in messages, the web UI and the forge's deployment. */
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
});

/** Per-project settings that only the server decides; never read from a branch anyone can push to. */
export const ProjectPolicySchema = z.strictObject({
  /** Let pull/merge requests from forks push their image (they always run their tests). */
  allowForkPush: z.boolean({ error: 'must be true or false' }).default(false),
  /** Branches and tags, besides the default branch, whose pipelines get protected CI/CD variables; `*` is a wildcard. */
  protectedRefs: z.array(z.string({ error: 'must be ref names or patterns such as release/*' }).min(1), { error: 'must be a list of ref names or patterns such as release/*' }).default([]),
  /** Private projects whose files this project's `.gitlab-ci.yml` may include (public ones and the project itself need no entry). */
  includeProjects: z.array(z.string({ error: 'must be project paths such as group/ci-templates' }).min(1), { error: 'must be a list of project paths such as group/ci-templates' }).default([]),
  environments: z.record(z.string().regex(/^[A-Za-z0-9_.*-][A-Za-z0-9_./*-]{0,254}$/, { error: 'must be an environment name such as prod, or a pattern such as review/*' }), Environment).default({}),
  /**
   * The stage of the project's `.gitlab-ci.yml` whose jobs wait for `/deploy` instead of running
   * in the pipeline (only when the project has environments here); jobs with `environment:` always do.
   */
  deployStage: z.string({ error: 'must be a stage name such as deploy' }).min(1, { error: 'must be a stage name such as deploy' }).default('deploy'),
}).superRefine((project, context) => {
  for (const [name, environment] of Object.entries(project.environments)) {
    for (const problem of approvalProblems(name, environment)) context.addIssue({ code: 'custom', path: ['environments', name, ...problem.path], message: problem.message });
    for (const before of environment.after ?? []) {
      if (before === name || !Object.hasOwn(project.environments, before)) {
        context.addIssue({ code: 'custom', path: ['environments', name, 'after'], message: `names ${before}, which is not another environment of this project` });
      }
    }
    // An environment that must come after itself, through others, could never be deployed.
    const loop = afterLoop(name, project.environments);
    if (loop) context.addIssue({ code: 'custom', path: ['environments', name, 'after'], message: `makes a loop (${loop.join(' → ')}): nothing could ever be deployed there` });
  }
});

/** A tag name, as promotion writes the environment's tag: what an environment that asks for approval must be. */
const TAG_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/** What an environment's approval setting rules out: no approvers where they are needed, approval settings where none is asked. */
function approvalProblems(name: string, environment: z.infer<typeof Environment>): Array<{ path: string[]; message: string }> {
  if (environment.approval === 'required') {
    return [
      ...(TAG_NAME.test(name) ? [] : [{ path: [], message: 'must be a lower-case name usable as an image tag, or have approval: none (a review app such as review/*, deployed in the pipeline)' }]),
      ...(environment.approvers.length === 0 ? [{ path: ['approvers'], message: 'must name at least one approver (or say approval: none, for an environment deployed in the pipeline)' }] : []),
    ];
  }
  const unused: string[] = [
    ...(environment.approvers.length > 0 ? ['approvers'] : []),
    ...(['requesters', 'action', 'branches', 'after', 'channel'] as const).filter((key) => environment[key] !== undefined),
    ...(environment.lockAfterRollback ? ['lockAfterRollback'] : []),
    ...(environment.confirm ? ['confirm'] : []),
  ];
  return unused.map((key) => ({ path: [key], message: `is not used with approval: none: its deploy jobs run in the pipeline, without /deploy` }));
}

function afterLoop(start: string, environments: Record<string, { after?: string[] | undefined }>): string[] | undefined {
  const walk = (name: string, path: string[]): string[] | undefined => {
    for (const before of Object.hasOwn(environments, name) ? (environments[name]!.after ?? []) : []) {
      if (before === start) return [...path, before];
      if (!path.includes(before)) {
        const found = walk(before, [...path, before]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(start, [start]);
}

export const PolicyFileSchema = z.strictObject({
  projects: z.record(z.string().min(1), ProjectPolicySchema).default({}),
});

export type PolicyFile = z.infer<typeof PolicyFileSchema>;
export type ProjectPolicy = z.infer<typeof ProjectPolicySchema>;
export type EnvironmentPolicy = z.infer<typeof Environment>;
export type DeployActionConfig = z.infer<typeof DeployAction>;
/** An action the action runner carries out itself; deploy jobs run as pipelines instead. */
export type DirectAction = Exclude<DeployActionConfig, { type: 'job' }>;

export class PolicyFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'PolicyFileError';
  }
}

export const EMPTY_POLICY: PolicyFile = { projects: {} };

export function parsePolicy(text: string, file = 'SLIPWAY_CONFIG'): PolicyFile {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new PolicyFileError(file, document.errors.map((error) => yamlProblem(error, text)));
  const parsed = PolicyFileSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) {
    // A bad record key (an environment name) carries the key's own message one level down.
    const messageOf = (issue: z.core.$ZodIssue) =>
      issue.code === 'invalid_key'
        ? (issue.issues[0]?.message ?? issue.message)
        : issue.code === 'unrecognized_keys'
          ? `has no setting ${issue.keys.join(', ')}: check the spelling against the configuration reference`
          : issue.message;
    const where = (issue: z.core.$ZodIssue) => {
      // A misspelt key is reported where it is written; any other problem where its value is.
      const line = issue.code === 'unrecognized_keys' ? lineOf({ document, text }, [...issue.path, issue.keys[0]!], true) : lineOf({ document, text }, issue.path);
      return line === undefined ? '' : ` (line ${line})`;
    };
    throw new PolicyFileError(file, parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'the file'} ${messageOf(issue)}${where(issue)}`));
  }
  return parsed.data;
}

/** Reads the policy file once at start-up; no file means no special permissions for anyone. */
export async function loadPolicy(file: string | undefined): Promise<PolicyFile> {
  if (!file) return EMPTY_POLICY;
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new PolicyFileError(file, [`cannot be read (${error.code ?? error.message})`]);
  });
  return parsePolicy(text, file);
}

/** A record's own entry: names from chat or a branch (`constructor`, `__proto__`) never reach the prototype. */
export function ownEntry<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function projectPolicy(policy: PolicyFile, project: string): ProjectPolicy {
  return ownEntry(policy.projects, project) ?? ProjectPolicySchema.parse({});
}

/** The environments of a project that ask for approval: those `/deploy` deploys to. */
export function gatedEnvironments(settings: ProjectPolicy): Array<[string, EnvironmentPolicy]> {
  return Object.entries(settings.environments).filter(([, environment]) => environment.approval === 'required');
}

/** The names and patterns (`review/*`) of a project's environments that ask no approval: review apps, deployed in the pipeline. */
export function reviewEnvironments(settings: ProjectPolicy): string[] {
  return Object.entries(settings.environments).filter(([, environment]) => environment.approval === 'none').map(([name]) => name);
}

/** What the project's policy decides about which of its jobs wait for `/deploy` (see `PlanOptions`). */
export function deployRulesOf(policy: PolicyFile, project: string): { deployStage?: string; reviewEnvironments?: string[] } {
  const settings = projectPolicy(policy, project);
  const review = reviewEnvironments(settings);
  return {
    // The deploy stage waits only in a project with environments to deploy to through /deploy.
    ...(gatedEnvironments(settings).length > 0 ? { deployStage: settings.deployStage } : {}),
    ...(review.length > 0 ? { reviewEnvironments: review } : {}),
  };
}
