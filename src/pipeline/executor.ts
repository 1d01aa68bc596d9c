import type { VariableFile } from '../model/ci-variable.js';
import type { PipelineFacts } from '../model/pipeline-facts.js';
import type { BuildJobSpec, ScriptJobSpec } from './plan.js';
import type { ResolvedService } from './services.js';

/** Where a pipeline's jobs run. The Docker executor gives each pipeline its own dind daemon. */
export interface Executor {
  /** Prepares an isolated place for one pipeline; the caller must `close()` it whatever happens. */
  open(pipeline: PipelineIdentity, signal: AbortSignal): Promise<ExecutionEnvironment>;
  /** Throws unless pipelines can start here now (the Docker host answers): start-up and /healthz ask. */
  check?(): Promise<void>;
  /** Where pipelines run, for logs and errors (`unix:///var/run/docker.sock`); never a secret. */
  readonly describe?: string;
  /**
   * Removes what pipelines of dead workers left running; returns their pipeline ids. A worker
   * is dead when `deadOwners` says so (its heartbeat stopped, on any machine) or its process is
   * gone from this one.
   */
  recoverOrphans?(deadOwners?: DeadOwners): Promise<string[]>;
  /** Places prepared ahead of pipelines (the Docker executor's pool of seeded daemons). */
  pool?: ExecutorPool;
  /** Stops preparing places and removes this process's unused ones. */
  stop?(): Promise<void>;
}

/** Of these owners of daemons, the ones known to be dead. */
export type DeadOwners = (owners: string[]) => Promise<ReadonlySet<string>>;

export interface ExecutorPool {
  counts(): Promise<Record<'seeding' | 'ready' | 'claimed', number>>;
  /** Resolves once nothing waits to be prepared. */
  settled(): Promise<void>;
  /** Prepares one place for `affinity` with `seeds` now; false when the pool has no room. */
  seed(affinity: string, seeds: string[]): Promise<boolean>;
}

/** A fork's code, any other branch's, or a protected ref's (with its secrets). */
export type PipelineTrust = 'fork' | 'unprotected' | 'protected';

/** The pipeline an executor prepares a place for (its facts, the part an executor needs), and how it is placed. */
export interface PipelineIdentity extends Pick<PipelineFacts, 'id' | 'forge' | 'project' | 'sha'> {
  /**
   * Which earlier pipelines this one may reuse preparation from: the same project at the same
   * trust (a fork's pipeline never starts from what a protected branch's left, nor the reverse).
   */
  affinity?: string;
  /** Runner tags its jobs ask for: where there are several Docker hosts, one with them all. */
  tags?: string[];
  /** Whose code it runs: outside code may be kept to hosts of its own (SLIPWAY_UNTRUSTED_PIPELINES). */
  trust?: PipelineTrust;
}

/** A file a job finds before its script starts (`file` CI/CD variables). */
export type JobFile = VariableFile;

/** What a service printed while its job ran. */
export interface ServiceLog {
  name: string;
  image: string;
  log: string;
}

/** An archive (gzipped tar, named relative to the workspace) unpacked into a job's workspace before its script; none when `open` gives nothing. */
export interface JobInput {
  open(): Promise<NodeJS.ReadableStream | undefined>;
}

export interface JobContext {
  /** The checked-out repository, copied into the job; never bind-mounted. */
  sourceDir: string;
  env: Record<string, string>;
  /** Containers beside the job, sharing its network namespace; started and ready before the script runs. */
  services?: ResolvedService[];
  files?: JobFile[];
  /** Told what each service printed once the job is over, however it ended (a service that never got ready included). */
  serviceLogs?(logs: ServiceLog[]): void;
  /** Caches and earlier jobs' artifacts, unpacked in order over the checkout. */
  inputs?: JobInput[];
  /**
   * Called once the script has ended, with its exit code and a reader of the job's workspace
   * (artifacts and caches are taken from it); a throw fails the job.
   */
  collect?(exitCode: number, workspace: WorkspaceReader): Promise<void>;
  /**
   * The pipeline's own credential in Slipway's registry (its job token, as GitLab's
   * `gitlab-ci-token`): the executor pulls the job's and its services' images there with it.
   */
  registryCredential?: { username: string; password: string };
  /** Aborted on cancellation or timeout: the job must stop at once. */
  signal: AbortSignal;
  output(text: string): void;
}

export interface BuildTarget {
  /** `registry/project` without a tag. */
  repository: string;
  /** First tag is the commit SHA; the digest reported is that tag's. */
  tags: string[];
  /** Images to pull and offer to the builder as cache, in order; missing ones are fine. */
  cacheFrom: string[];
  push: boolean;
}

export interface BuildOutcome {
  ref: string;
  digest: string | null;
  totalSteps: number;
  cachedSteps: number;
}

export interface ExecutionEnvironment {
  /** Runs a script job in `image` (already expanded); its exit code is the script's. */
  runScript(job: ScriptJobSpec & { image: string }, context: JobContext): Promise<{ exitCode: number }>;
  build(job: BuildJobSpec, target: BuildTarget, context: JobContext): Promise<BuildOutcome>;
  /** True when the place was prepared ahead (a seeded daemon from the pool). */
  warm?: boolean;
  close(): Promise<void>;
}

/** A failure a person can act on (bad image name, broken Dockerfile): shown as the job's error. */
export class JobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobError';
  }
}

/**
 * A tar stream of one folder of a job's workspace (`''` for all of it), as an archive API gives
 * it: entries named from the folder's own name (`dist/app.js` for `dist`); undefined when the
 * folder is not there.
 */
export type WorkspaceReader = (folder: string) => Promise<NodeJS.ReadableStream | undefined>;
