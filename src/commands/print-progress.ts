import type { JobResult, PipelineObserver, PipelineResult } from '../pipeline/run/engine.js';
import { formatDuration } from '../util/format-duration.js';
import { WAITING_JOB_STATUSES } from '../model/status.js';

type Write = (text: string) => void;

/** Prints a pipeline like a CI log: a header per job, its output as it comes, and its outcome. */
export function progressPrinter(write: Write): PipelineObserver {
  let atLineStart = true;
  return {
    jobStarted(job) {
      const what = job.kind === 'script' ? job.image : job.kind === 'build' ? job.dockerfile : `child pipeline from ${job.artifact.job}'s ${job.artifact.file}`;
      write(`\n── ${job.name} (${what})\n`);
      atLineStart = true;
    },
    jobOutput(_job, text) {
      write(text);
      atLineStart = text.endsWith('\n');
    },
    jobFinished(job, result: JobResult) {
      write(`${atLineStart ? '' : '\n'}── ${job.name} ${result.status} in ${formatDuration(result.durationMs)}${result.error ? `: ${result.error}` : ''}\n`);
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
