/** When a job runs, as GitLab's `when`: after earlier stages all passed, only after one failed, or either way. */
export type JobWhen = 'on_success' | 'on_failure' | 'always';

interface JobSpecBase {
  name: string;
  stage: string;
  when?: JobWhen;
  /** A failure is shown but neither fails the pipeline nor stops later stages. */
  allowFailure?: boolean;
  /** Set when the plan itself decides the job does not run (the deploy stage, a manual job); shown as skipped. */
  skipReason?: string;
}

/** A job that runs shell lines in an image: `.slipway.yml`'s test, or any `.gitlab-ci.yml` job. */
export interface ScriptJobSpec extends JobSpecBase {
  kind: 'script';
  image: string;
  script: string[];
  /** Run after `script` whatever its outcome, as GitLab's `after_script`; their failure changes nothing. */
  afterScript?: string[];
  variables: Record<string, string>;
  /** Give the job the pipeline's own Docker daemon, with `DOCKER_HOST` pointing at it. */
  dockerAccess?: boolean;
  /** Overrides the configured default when set. */
  timeoutMs?: number;
}

export interface BuildJobSpec extends JobSpecBase {
  kind: 'build';
  /** Relative to the context folder, as `docker build -f` takes it. */
  dockerfile: string;
  /** Relative to the repository root. */
  context: string;
  buildArgs: Record<string, string>;
}

export type JobSpec = ScriptJobSpec | BuildJobSpec;

export interface PipelinePlan {
  /** Which file the plan came from, for messages: `.slipway.yml`, `.gitlab-ci.yml`, or `Dockerfile` for a build-only pipeline. */
  source: string;
  /** In stage order: jobs of one stage run side by side, stages one after another. */
  jobs: JobSpec[];
  /** What the file asked for that Slipway does not do, for the MR comment. */
  notes?: string[];
}
