/** Where every job finds the repository (`CI_PROJECT_DIR`), whatever the executor. */
export const PROJECT_DIR = '/workspace';

/** When a job runs, as GitLab's `when`: after earlier stages all passed, only after one failed, or either way. */
export type JobWhen = 'on_success' | 'on_failure' | 'always';

/**
 * When a job starts: as `JobWhen` once what it waits for is done, or only when a person plays
 * it (`manual`), or `startInSeconds` after that (`delayed`). Both of those also need what they
 * wait for to have passed, as `on_success`.
 */
export type JobTrigger = JobWhen | 'manual' | 'delayed';

interface JobSpecBase {
  name: string;
  stage: string;
  when?: JobTrigger;
  /** A delayed job's `start_in`, in seconds. */
  startInSeconds?: number;
  /**
   * A failure is shown but neither fails the pipeline nor stops later stages: any failure
   * (`true`), or only a script exiting with one of these codes (GitLab's `exit_codes`).
   */
  allowFailure?: boolean | { exitCodes: number[] };
  /** Set when the plan itself decides the job does not run (held for `/deploy`, say); shown as skipped. */
  skipReason?: string;
  /**
   * GitLab's `needs`: the jobs this one waits for, whatever their stage (`[]`: none, it starts
   * at once). Absent: it waits for every job of the earlier stages.
   */
  needs?: string[];
  /**
   * GitLab's `interruptible`: a newer commit may cancel the pipeline once this job has started.
   * Absent means yes (`.slipway.yml`); a `.gitlab-ci.yml` job says false unless it says otherwise.
   */
  interruptible?: boolean;
  /**
   * Set on a job of a child pipeline (`trigger:include`), planned into its parent's: the trigger
   * job, the job's own name there (its `CI_JOB_NAME`), whether the parent waits for the
   * child and takes its status (`strategy: depend`), and the trigger job's own `needs`, when it
   * has them: the child starts once they are done, not after the earlier stages.
   */
  downstream?: { trigger: string; job: string; depend: boolean; triggerNeeds?: string[] };
}

/**
 * A container that runs beside one job, as GitLab's `services`: it shares the job's network
 * namespace, so it answers on `localhost` and under each of its aliases.
 */
export interface ServiceSpec {
  /** As written; `$VARIABLES` are expanded when the job runs. */
  image: string;
  /** The file's `alias` names; GitLab's default ones come from the image name once it is expanded. */
  aliases: string[];
  entrypoint?: string[];
  command?: string[];
  variables: Record<string, string>;
}

/** GitLab's `artifacts`: what a job keeps from its workspace, for later jobs and for people. */
export interface ArtifactsSpec {
  /** Globs relative to the workspace; a folder means everything in it. */
  paths: string[];
  exclude: string[];
  /** Also every file the job made that is not in the commit. */
  untracked: boolean;
  when: JobWhen;
  /** Seconds; null keeps them; absent takes the server's default. */
  expireInSeconds?: number | null;
  /** The download's name, variables expanded when the job runs. */
  name?: string;
  /** `reports:dotenv` files: their `NAME=value` lines become variables of the jobs that take this job's artifacts. */
  dotenv: string[];
}

/** One of GitLab's `cache` entries: files kept per project across pipelines, under a key. */
export interface CacheSpec {
  /** Text (variables expanded when the job runs), or a hash of files of the commit with an optional prefix. */
  key: string | { files: string[]; prefix?: string };
  paths: string[];
  untracked: boolean;
  policy: 'pull' | 'push' | 'pull-push';
  when: JobWhen;
  /** Tried in order when the key has no cache yet. */
  fallbackKeys: string[];
}

/** A job that runs shell lines in an image: `.slipway.yml`'s test, or any `.gitlab-ci.yml` job. */
export interface ScriptJobSpec extends JobSpecBase {
  kind: 'script';
  image: string;
  /** The image came from the server's `SLIPWAY_DEFAULT_IMAGE`, not the file; the comment says so. */
  imageFromDefault?: boolean;
  services?: ServiceSpec[];
  script: string[];
  /** Run after `script` whatever its outcome, as GitLab's `after_script`; their failure changes nothing. */
  afterScript?: string[];
  variables: Record<string, string>;
  /** Give the job the pipeline's own Docker daemon, with `DOCKER_HOST` pointing at it. */
  dockerAccess?: boolean;
  /** Shortens the server's SLIPWAY_JOB_TIMEOUT for this job; never lengthens it. */
  timeoutMs?: number;
  /**
   * GitLab's `retry`: run again up to `max` times after a failure of one of these kinds
   * (`always`, `script_failure`, `stuck_or_timeout_failure`, …), and only with one of `exitCodes` when given.
   */
  retry?: { max: number; when: string[]; exitCodes?: number[] };
  /** GitLab's `coverage`: a pattern whose last match in the log gives the job's coverage. */
  coverage?: { source: string; flags: string };
  artifacts?: ArtifactsSpec;
  cache?: CacheSpec[];
  /** The environment it deploys to (`environment:`, variables expanded). */
  environment?: JobEnvironment;
  /** It runs only when an approved `/deploy` runs it (see `heldForDeploy`); `skipReason` says why. */
  waitsForDeploy?: boolean;
  /** GitLab's `resource_group` (variables not yet expanded): one job at a time per group, across pipelines. */
  resourceGroup?: string;
  /**
   * The jobs whose artifacts (and dotenv variables) this job receives: its `dependencies`, or
   * its `needs` (but those with `artifacts: false`), or else every job of the earlier stages.
   */
  artifactsFrom?: string[];
}

/** GitLab's `environment:` of a job, its name and URL expanded. */
export interface JobEnvironment {
  name: string;
  url?: string;
  /** GitLab's `environment:action`: `start` (the default) deploys; `stop` stops it. */
  action: 'start' | 'prepare' | 'stop' | 'verify' | 'access';
  /** `deployment_tier`: production, staging, testing, development or other. */
  tier?: string;
  /** `on_stop`: the job that stops it (checked: it names this environment with `action: stop`). */
  onStop?: string;
  /** `auto_stop_in`, in seconds: when Slipway runs `onStop` by itself (a review app left behind). */
  autoStopInSeconds?: number;
}

export interface BuildJobSpec extends JobSpecBase {
  kind: 'build';
  /** Relative to the context folder, as `docker build -f` takes it. */
  dockerfile: string;
  /** Relative to the repository root. */
  context: string;
  buildArgs: Record<string, string>;
}

/**
 * A trigger job whose child pipeline an earlier job writes (`trigger:include:artifact`): when it
 * starts, the child is read from that job's artifacts and its jobs join the pipeline, named
 * `trigger » job`, as a child of the commit's own files does when the plan is read.
 */
export interface TriggerJobSpec extends JobSpecBase {
  kind: 'trigger';
  /** The job whose artifacts hold the child's file, and the file's path in them. */
  artifact: { job: string; file: string };
  /** `strategy: depend`: the trigger job ends with its child and takes its status. */
  depend: boolean;
  /** What the child is given, as GitLab passes a trigger job's variables down. */
  variables: Record<string, string>;
  /** How many parents the child has (1: a child of the commit's pipeline), against GitLab's limit. */
  depth: number;
}

export type JobSpec = ScriptJobSpec | BuildJobSpec | TriggerJobSpec;

export interface PipelinePlan {
  /** The file's `workflow:name`, its variables expanded. */
  name?: string;
  /** Which file the plan came from, for messages: `.slipway.yml`, `.gitlab-ci.yml`, or `Dockerfile` for a build-only pipeline. */
  source: string;
  /** In stage order: jobs of one stage run side by side, stages one after another. */
  jobs: JobSpec[];
  /** What the file asked for that Slipway does not do, for the MR comment. */
  notes?: string[];
  /** Runner tags its jobs ask for (GitLab's `tags:`): where Docker hosts have tags, one with them all runs it. */
  tags?: string[];
  /** Set when the file's `workflow:rules` leave this pipeline out: why. Such a plan has no jobs. */
  skipped?: string;
}

/** What the server decides about every plan, whatever the file says. */
export interface PlanOptions {
  /** `SLIPWAY_DEFAULT_IMAGE`: the image of a job that names none, as a GitLab runner's default. */
  defaultImage?: string;
  /** The stage whose jobs wait for `/deploy` (the project's `deployStage`, for projects with environments). */
  deployStage?: string;
  /**
   * Environments (names or patterns such as `review/*`) whose deploy jobs run in the pipeline as
   * GitLab runs them, without `/deploy`: the policy's `approval: none` (review apps).
   */
  reviewEnvironments?: string[];
}
