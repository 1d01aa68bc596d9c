import { stripVTControlCharacters } from 'node:util';
import type { CheckReport, ChecksReport, CommitState, CommitStatus } from '../model/forge-event.js';
import type { JobView, PipelineView } from '../store/pipeline-views.js';
import { formatDuration } from '../util/format-duration.js';
import { WAITING_JOB_STATUSES } from '../model/status.js';

/** Hidden in the rendered comment; how Slipway finds its own comment again. */
export const COMMENT_MARKER = '<!-- slipway:pipeline-report -->';

const ICON: Record<string, string> = {
  queued: '🕒',
  pending: '🕒',
  running: '🔄',
  passed: '✅',
  failed: '❌',
  error: '⚠️',
  skipped: '⏭️',
  canceled: '🚫',
  manual: '⏸️',
  blocked: '⏸️',
  scheduled: '⏰',
  created: '⏳',
};

const HEADLINE: Record<PipelineView['status'], string> = {
  queued: 'pipeline queued',
  running: 'pipeline running',
  blocked: 'pipeline blocked: a manual job waits to be played',
  scheduled: 'pipeline scheduled: a delayed job waits for its time',
  passed: 'pipeline passed',
  failed: 'pipeline failed',
  canceled: 'pipeline canceled',
  error: 'pipeline could not run',
  skipped: 'pipeline skipped',
};

export interface CommentInput {
  pipeline: PipelineView;
  /** Log tails of failed jobs, by job id. */
  logTails: Map<number, string>;
  pipelineUrl: string;
  maxLength: number;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Text from a branch (a `workflow:name`) as inline code: no mention, link or markup in it works. */
function inlineCode(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  const ticks = '`'.repeat(Math.max(0, ...[...flat.matchAll(/`+/g)].map((match) => match[0].length)) + 1);
  return `${ticks} ${flat} ${ticks}`;
}

function fence(text: string): string {
  // A log may itself contain ``` fences; a longer fence keeps them literal.
  const longest = Math.max(2, ...[...text.matchAll(/`{3,}/g)].map((match) => match[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}\n${text}\n${ticks}`;
}

function details(job: JobView, pipeline: PipelineView): string {
  if (job.kind === 'build' && job.status === 'passed' && pipeline.image) {
    const { image } = pipeline;
    const cache = image.totalSteps ? `${image.cachedSteps ?? 0}/${image.totalSteps} steps cached` : '';
    const reference = image.digest ? `\`${image.ref}\` \`${image.digest}\`` : `\`${image.ref}\` (not pushed)`;
    return [cache, reference].filter(Boolean).join(' · ');
  }
  const played = job.playedBy ? `played by ${job.playedBy}` : '';
  return [job.coverage === null ? '' : `coverage ${job.coverage}%`, job.error ?? '', played].filter(Boolean).join(' · ');
}

/** ` in 4.2s` for a job that ran; nothing for one that did not. */
function ranFor(job: JobView): string {
  return job.durationMs !== null && job.status !== 'skipped' && job.status !== 'pending' && !WAITING_JOB_STATUSES.has(job.status) ? ` in ${formatDuration(job.durationMs)}` : '';
}

function jobTable(pipeline: PipelineView): string[] {
  if (pipeline.jobs.length === 0) return [];
  const rows = pipeline.jobs.map((job) => {
    const duration = ranFor(job).replace(/^ in /, '');
    const status = job.failureAllowed ? '⚠️ failed (allowed to fail)' : `${ICON[job.status] ?? ''} ${job.status}`;
    return `| ${job.name} | ${status} | ${duration} | ${escapeCell(details(job, pipeline))} |`;
  });
  return ['| Job | Status | Duration | Details |', '| --- | --- | --- | --- |', ...rows];
}

function nextSteps(pipeline: PipelineView): string[] {
  const lines: string[] = [];
  if (pipeline.fromFork && pipeline.jobs.some((job) => job.kind === 'build' && job.status === 'skipped')) {
    lines.push('The build was skipped: this change comes from a fork, and forks push no image unless the project allows it (`allowForkPush` in the server’s `SLIPWAY_CONFIG`).');
  }
  const builtBySlipway = pipeline.jobs.some((job) => job.kind === 'build');
  if (pipeline.image?.digest && !builtBySlipway) lines.push(`Image pushed by the pipeline: \`${pipeline.image.ref}\` \`${pipeline.image.digest}\``);
  lines.push(...waitingJobs(pipeline));
  if (pipeline.status === 'passed' && pipeline.image?.digest) {
    lines.push(`Deploy this commit from Slack with \`/deploy ${pipeline.sha.slice(0, 12)} <environment>\`.`);
  }
  return lines;
}

/** What a person can do about jobs that wait for them: how to play each, when each delayed one starts. */
function waitingJobs(pipeline: PipelineView): string[] {
  const lines: string[] = [];
  for (const job of pipeline.jobs) {
    const held = pipeline.jobs.filter((other) => other.status === 'created' && other.error === `waits for ${job.name}`).map((other) => `\`${other.name}\``);
    const holding = held.length > 0 ? ` (${held.join(', ')} ${held.length === 1 ? 'waits' : 'wait'} for it)` : '';
    if (job.status === 'manual') {
      lines.push(`⏸️ \`${job.name}\` waits to be played${holding}: comment \`/slipway play ${job.name}\` or press Play on the pipeline page (write access to the project).`);
    } else if (job.status === 'scheduled' && job.scheduledAt) {
      const at = new Date(job.scheduledAt).toISOString().replace('T', ' ').slice(0, 16);
      lines.push(`⏰ \`${job.name}\` starts at ${at} UTC${holding}: comment \`/slipway play ${job.name}\` to start it now, or use Run now or Unschedule on the pipeline page.`);
    }
  }
  return lines;
}

/** What the pipeline file asked for that Slipway does not do: never silently dropped. */
function planNotes(pipeline: PipelineView): string[] {
  if (pipeline.planNotes.length === 0) return [];
  return [`<details open><summary>Notes on ${pipeline.planSource ?? 'the pipeline file'}</summary>`, '', ...pipeline.planNotes.map((note) => `- ${note}`), '', '</details>', ''];
}

/** The one Slipway comment on a change request, for its newest pipeline; never longer than the forge allows. */
export function renderComment(input: CommentInput): string {
  const { pipeline } = input;
  const elapsed =
    pipeline.startedAt && pipeline.finishedAt ? ` · ${formatDuration(pipeline.finishedAt.getTime() - pipeline.startedAt.getTime())}` : '';
  const head = [
    COMMENT_MARKER,
    `### ${ICON[pipeline.status]} Slipway: ${HEADLINE[pipeline.status]}`,
    '',
    `Commit \`${pipeline.sha.slice(0, 12)}\` on \`${pipeline.ref}\` · [pipeline #${pipeline.id}](${input.pipelineUrl})${pipeline.name ? ` ${inlineCode(pipeline.name)}` : ''}${elapsed}`,
    '',
  ];
  const notes: string[] = [];
  if (pipeline.error) notes.push(`> ${pipeline.error.split('\n').join('\n> ')}`, '');
  if (pipeline.status === 'canceled' && pipeline.cancelReason) notes.push(`Canceled: ${pipeline.cancelReason}.`, '');
  if (pipeline.commandNote) notes.push(`> ${pipeline.commandNote}`, '');
  for (const old of pipeline.superseded) notes.push(`Pipeline #${old.id} for \`${old.sha.slice(0, 12)}\` was canceled: superseded by this one.`);
  if (pipeline.superseded.length > 0) notes.push('');

  const table = [...jobTable(pipeline), ...(pipeline.planNotes.length > 0 ? ['', ...planNotes(pipeline)] : [])];
  const tail = [...nextSteps(pipeline), '', `<sub>Full logs: ${input.pipelineUrl}</sub>`];
  const base = [...head, ...notes, ...table, ''].join('\n');
  const end = `\n${tail.join('\n')}\n`;

  let logs = '';
  for (const job of pipeline.jobs) {
    // Colour codes and other terminal controls read as garbage (`␛[91m`) in a forge comment.
    const raw = input.logTails.get(job.id);
    const text = raw === undefined ? undefined : stripVTControlCharacters(raw);
    if (job.status !== 'failed' || !text) continue;
    const block = `\n<details><summary>${job.name}: last lines of the log</summary>\n\n${fence(text)}\n\n</details>\n`;
    // Logs are what gets cut when the comment would be too long; the summary always fits.
    const room = input.maxLength - base.length - end.length - logs.length;
    if (block.length <= room) logs += block;
    else if (room > 200) logs += `\n<details><summary>${job.name}: last lines of the log</summary>\n\n${fence(text.slice(-(room - 150)))}\n\n</details>\n`;
  }
  const body = base + logs + end;
  return body.length <= input.maxLength ? body : `${body.slice(0, input.maxLength - 40)}\n\n… (cut to fit the forge’s limit)`;
}

/** The commit status that goes with a pipeline state. */
export function commitStatusFor(pipeline: PipelineView, pipelineUrl: string): CommitStatus {
  const state: Record<PipelineView['status'], CommitState> = {
    queued: 'pending',
    running: 'running',
    // Not finished, so a merge waits for it as it would for a pipeline still running.
    blocked: 'pending',
    scheduled: 'pending',
    passed: 'success',
    failed: 'failed',
    error: 'failed',
    canceled: 'canceled',
    // Nothing ran, by the file's own choice: nothing for a merge to wait on.
    skipped: 'success',
  };
  const failedJob = pipeline.jobs.find((job) => job.status === 'failed');
  const description =
    pipeline.status === 'failed' && failedJob
      ? `${failedJob.name} failed${failedJob.error ? `: ${failedJob.error}` : ''}`
      : pipeline.status === 'canceled' && pipeline.cancelReason
        ? `canceled: ${pipeline.cancelReason}`
        : pipeline.error ?? HEADLINE[pipeline.status];
  const jobState: Record<JobView['status'], CheckReport['state']> = {
    pending: 'pending',
    running: 'running',
    passed: 'success',
    failed: 'failed',
    skipped: 'skipped',
    canceled: 'canceled',
    manual: 'waiting',
    scheduled: 'waiting',
    created: 'waiting',
  };
  const checks: ChecksReport = {
    pipelineId: pipeline.id,
    pipeline: { name: 'slipway', state: pipeline.status === 'skipped' ? 'skipped' : state[pipeline.status], title: description, summary: [`[Pipeline #${pipeline.id}](${pipelineUrl}) on \`${pipeline.ref}\``, '', ...jobTable(pipeline)].join('\n') },
    jobs: pipeline.jobs.map((job) => ({
      name: `slipway / ${job.name}`,
      state: jobState[job.status],
      title: job.error ?? `${job.name} ${job.status}`,
      summary: `Job \`${job.name}\` of [pipeline #${pipeline.id}](${pipelineUrl}#job-${job.id}): ${job.status}${ranFor(job)}`,
    })),
  };
  return { state: state[pipeline.status], description, targetUrl: pipelineUrl, checks };
}
