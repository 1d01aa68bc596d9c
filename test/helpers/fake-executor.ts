import path from 'node:path';
import tarStream from 'tar-stream';
import type { BuildOutcome, BuildTarget, ExecutionEnvironment, Executor, JobContext, PipelineIdentity, WorkspaceReader } from '../../src/pipeline/executor.js';
import type { BuildJobSpec, ScriptJobSpec } from '../../src/pipeline/plan.js';

/** What one attempt of a job does in the fake: print, then exit, throw, or wait to be stopped. */
export interface ScriptedAttempt {
  output?: string;
  exitCode?: number;
  /** Fails as a broken daemon would (`runner_system_failure`). */
  throws?: string;
  /** Runs until its signal aborts (a timeout or a cancel), then rejects as a stopped container does. */
  hang?: boolean;
  /** Files the job leaves in its workspace (path → text), for its artifacts. */
  files?: Record<string, string>;
}

export type FakeEvent =
  | { type: 'open'; pipeline: PipelineIdentity }
  | { type: 'start'; job: string; env: Record<string, string>; files: number; credential: JobContext['registryCredential'] }
  | { type: 'end'; job: string; outcome: string }
  | { type: 'build'; job: string; target: BuildTarget }
  | { type: 'close' };

/**
 * An Executor that runs nothing: it records what the engine asked, in order, and answers each
 * job with the attempts scripted for it (the last one repeats; a job nobody scripted passes).
 * `hold(job)` keeps a job running until the test lets it go, so ordering can be checked
 * without timing anything.
 */
export class FakeExecutor implements Executor {
  readonly events: FakeEvent[] = [];
  private readonly scripts = new Map<string, ScriptedAttempt[]>();
  private readonly attempts = new Map<string, number>();
  private readonly holds = new Map<string, { promise: Promise<void>; release(): void }>();
  private readonly started = new Map<string, () => void>();
  openError: string | undefined;
  build: BuildOutcome = { ref: 'registry.test/group/app:sha', digest: `sha256:${'a'.repeat(64)}`, totalSteps: 4, cachedSteps: 3 };

  script(job: string, ...attempts: ScriptedAttempt[]): this {
    this.scripts.set(job, attempts);
    return this;
  }

  /** Keeps `job` running once started, until the returned function is called. */
  hold(job: string): () => void {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(job, { promise, release });
    return release;
  }

  /** Resolves once `job` has started (its first attempt). */
  startOf(job: string): Promise<void> {
    if (this.names('start').includes(job)) return Promise.resolve();
    return new Promise((resolve) => this.started.set(job, resolve));
  }

  /** The jobs of one kind of event, in order. */
  names(type: 'start' | 'end'): string[] {
    return this.events.flatMap((event) => (event.type === type ? [event.job] : []));
  }

  /** The environment `job` was started with (its first attempt). */
  envOf(job: string): Record<string, string> {
    const start = this.events.find((event) => event.type === 'start' && event.job === job);
    if (start?.type !== 'start') throw new Error(`${job} never started`);
    return start.env;
  }

  /** Where an event stands in the order, for "this before that". */
  indexOf(type: 'start' | 'end', job: string): number {
    const index = this.events.findIndex((event) => event.type === type && event.job === job);
    if (index === -1) throw new Error(`no ${type} of ${job} was recorded: ${JSON.stringify(this.events.map((event) => ('job' in event ? `${event.type} ${event.job}` : event.type)))}`);
    return index;
  }

  async open(pipeline: PipelineIdentity): Promise<ExecutionEnvironment> {
    this.events.push({ type: 'open', pipeline });
    if (this.openError) throw new Error(this.openError);
    return {
      runScript: (job, context) => this.runScript(job, context),
      build: async (job: BuildJobSpec, target: BuildTarget, context: JobContext) => {
        this.events.push({ type: 'build', job: job.name, target });
        context.output(`building ${target.repository}\n`);
        return this.build;
      },
      close: async () => void this.events.push({ type: 'close' }),
    };
  }

  private async runScript(job: ScriptJobSpec & { image: string }, context: JobContext): Promise<{ exitCode: number }> {
    const attempt = this.attempts.get(job.name) ?? 0;
    this.attempts.set(job.name, attempt + 1);
    const scripted = this.scripts.get(job.name) ?? [];
    const step: ScriptedAttempt = scripted[Math.min(attempt, scripted.length - 1)] ?? {};
    this.events.push({ type: 'start', job: job.name, env: context.env, files: context.files?.length ?? 0, credential: context.registryCredential });
    this.started.get(job.name)?.();
    // Another turn of the event loop, as a container's start is: jobs that may run side by side do.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      if (step.output) context.output(step.output);
      await this.holds.get(job.name)?.promise;
      if (step.hang) await stopped(context.signal);
      if (step.throws) throw new Error(step.throws);
      // The fake's workspace holds only the files its attempt says it writes.
      await context.collect?.(step.exitCode ?? 0, workspaceOf(step.files ?? {}));
      this.events.push({ type: 'end', job: job.name, outcome: `exit ${step.exitCode ?? 0}` });
      return { exitCode: step.exitCode ?? 0 };
    } catch (error) {
      this.events.push({ type: 'end', job: job.name, outcome: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }
}

function stopped(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const stop = () => reject(new Error('the container was stopped'));
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
  });
}

/** A workspace of a few files, read as Docker's archive API reads a path: a tar named from the path's folder. */
function workspaceOf(files: Record<string, string>): WorkspaceReader {
  return async (folder) => {
    const inside = Object.entries(files).filter(([file]) => folder === '' || file === folder || file.startsWith(`${folder}/`));
    if (inside.length === 0) return undefined;
    const parent = path.posix.dirname(folder);
    const pack = tarStream.pack();
    for (const [file, text] of inside) pack.entry({ name: folder === '' ? `workspace/${file}` : parent === '.' ? file : file.slice(parent.length + 1) }, text);
    pack.finalize();
    return pack as unknown as NodeJS.ReadableStream;
  };
}
