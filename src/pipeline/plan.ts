/** What a pipeline will run, whichever file described it. The engine works from this alone. */
export interface TestJobSpec {
  kind: 'test';
  name: string;
  stage: string;
  image: string;
  script: string[];
  variables: Record<string, string>;
  /** Overrides the configured default when set. */
  timeoutMs?: number;
}

export interface BuildJobSpec {
  kind: 'build';
  name: string;
  stage: string;
  /** Relative to the context folder, as `docker build -f` takes it. */
  dockerfile: string;
  /** Relative to the repository root. */
  context: string;
  buildArgs: Record<string, string>;
}

export type JobSpec = TestJobSpec | BuildJobSpec;

export interface PipelinePlan {
  /** Which file the plan came from, for messages: `.slipway.yml`, or `Dockerfile` for a build-only pipeline. */
  source: string;
  jobs: JobSpec[];
}
