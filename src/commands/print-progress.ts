import type { JobResult, PipelineObserver, PipelineResult } from '../pipeline/run/engine.js';
import { formatDuration } from '../util/format-duration.js';
import { WAITING_JOB_STATUSES } from '../model/status.js';

type Write = (text: string) => void;

/** ANSI colours for job names, one per job in turn, as `docker compose` colours its services. */
const COLOURS = [36, 33, 32, 35, 34, 31];

export interface PrinterOptions {
  /** Colour each job's name (a terminal that shows colour; not when piped or NO_COLOR is set). */
  colour: boolean;
  /** The plan's job names, so every prefix lines up from the first line. */
  names: readonly string[];
}

/** Whether stdout is a terminal that wants colour: `NO_COLOR` turns it off, `FORCE_COLOR` on. */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/**
 * Prints a pipeline like `docker compose up`: every line of a job's output whole, after its
 * name (aligned, coloured per job on a terminal), so jobs running side by side stay apart; a
 * line when a job starts and ends, and when the daemon is ready and gone.
 */
export function progressPrinter(write: Write, options: PrinterOptions = { colour: false, names: [] }): PipelineObserver {
  let width = Math.max(0, ...options.names.map((name) => name.length));
  const colours = new Map<string, number>();
  const partial = new Map<string, string>();
  const prefix = (name: string) => {
    if (!colours.has(name)) colours.set(name, COLOURS[colours.size % COLOURS.length]!);
    const padded = name.padEnd(width);
    return `${options.colour ? `\x1b[${colours.get(name)}m${padded}\x1b[0m` : padded} | `;
  };
  const lines = (name: string, text: string) => {
    const pieces = `${partial.get(name) ?? ''}${text}`.split('\n');
    partial.set(name, pieces.pop()!);
    for (const line of pieces) write(`${prefix(name)}${line}\n`);
  };
  return {
    jobsAdded(jobs) {
      width = Math.max(width, ...jobs.map((job) => job.name.length));
    },
    environmentOpened({ durationMs, warm }) {
      write(`Docker daemon ready in ${formatDuration(durationMs)}${warm ? ' (seeded for this project ahead of time)' : ''}\n`);
    },
    environmentClosed({ durationMs }) {
      write(`Docker daemon removed in ${formatDuration(durationMs)}\n`);
    },
    jobStarted(job) {
      const what = job.kind === 'script' ? job.image : job.kind === 'build' ? job.dockerfile : `child pipeline from ${job.artifact.job}'s ${job.artifact.file}`;
      write(`${prefix(job.name)}── started (${what})\n`);
    },
    jobOutput(job, text) {
      lines(job.name, text);
    },
    jobFinished(job, result: JobResult) {
      if (partial.get(job.name)) lines(job.name, '\n');
      write(`${prefix(job.name)}── ${result.status} in ${formatDuration(result.durationMs)}${result.error ? `: ${result.error}` : ''}\n`);
    },
  };
}

export function summary(result: PipelineResult): string {
  const width = Math.max(5, ...result.jobs.map((job) => job.name.length));
  const lines = ['', 'Summary'];
  for (const job of result.jobs) {
    const took = WAITING_JOB_STATUSES.has(job.status) ? '' : formatDuration(job.durationMs);
    const error = job.failureAllowed ? `allowed to fail: ${job.error ?? 'it failed'}` : job.error;
    lines.push(`  ${job.name.padEnd(width)}  ${job.status.padEnd(9)}  ${took}${error ? `  ${error}` : ''}`.trimEnd());
  }
  const playable = result.jobs.filter((job) => job.status === 'manual' || job.status === 'scheduled').map((job) => job.name);
  if (playable.length > 0) lines.push(`  Waiting to be played: ${playable.join(', ')} (run again with --play ${playable[0]!.includes(' ') ? `"${playable[0]}"` : playable[0]} to run it)`);
  if (result.image) {
    const cache = `${result.image.cachedSteps}/${result.image.totalSteps} steps from cache`;
    lines.push(`  ${'image'.padEnd(width)}  ${result.image.ref}${result.image.digest ? `@${result.image.digest}` : ' (not pushed)'}  ${cache}`);
  }
  if (result.error) lines.push(`  ${result.error}`);
  lines.push(`Pipeline ${result.status} in ${formatDuration(result.durationMs)}${result.warm ? ', on a daemon seeded for this project' : ''}`, '');
  return lines.join('\n');
}

/** The `--json` shape promised in the README; keep it stable for scripts. */
export function jsonSummary(result: PipelineResult) {
  return {
    status: result.status,
    jobs: result.jobs.map((job) => ({ name: job.name, kind: job.kind, status: job.status, exitCode: job.exitCode, durationMs: job.durationMs, ...(job.error ? { error: job.error } : {}) })),
    image: result.image ? { ref: result.image.ref, digest: result.image.digest, cachedSteps: result.image.cachedSteps, totalSteps: result.image.totalSteps } : null,
    ...(result.error ? { error: result.error } : {}),
    warm: result.warm === true,
  };
}
