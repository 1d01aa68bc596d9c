import { pipeline as streamPipeline } from 'node:stream/promises';
import type { ServiceLog } from '../pipeline/executor.js';
import { formatDuration } from '../util/format-duration.js';
import type { ForgeAccess } from '../model/forge-event.js';
import type { JobView, PipelineView } from '../store/pipeline-views.js';
import { sendError, sendJson, sendText } from '../http/respond.js';
import type { Route } from '../http/router.js';
import { forgeLinks } from '../forges/forge-links.js';
import { html, type SafeHtml } from './html.js';
import { logBlock, logConverter, logLines } from './job-log.js';
import { badge, page, projectPath, sendPage, when } from './layout.js';
import { LIVE_SCRIPT_PATH } from './live-script.js';
import { allows, readableJob, readablePipeline, wantsJson, type WebContext } from './web-context.js';
import type { Viewer } from './viewer.js';

const FINISHED = new Set(['passed', 'failed', 'canceled', 'skipped', 'error']);
export const isFinished = (status: string) => FINISHED.has(status);

const sizeText = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

/** The link to a job's artifacts, or what became of them. */

/** GitLab's mark on a failure `allow_failure` allows: the job failed, the pipeline need not. */
const allowedMark = (job: JobView) => (job.failureAllowed ? html` <span class="allowed" title="allow_failure: this failure does not fail the pipeline">allowed to fail</span>` : '');

function renderArtifacts(pipeline: PipelineView, job: JobView): SafeHtml {
  const artifacts = job.artifacts;
  if (!artifacts) return html``;
  const what = `${artifacts.files} file${artifacts.files === 1 ? '' : 's'}, ${sizeText(artifacts.size)}`;
  if (artifacts.expiresAt !== null && new Date(artifacts.expiresAt).getTime() <= Date.now()) return html`<p class="artifacts">Artifacts (${what}) expired on ${when(artifacts.expiresAt)}</p>`;
  const until = artifacts.expiresAt === null ? '' : html`, kept until ${when(artifacts.expiresAt)}`;
  return html`<p class="artifacts"><a href="/pipelines/${pipeline.id}/jobs/${job.id}/artifacts" download>Artifacts: ${artifacts.name}.tar.gz</a> (${what}${until})</p>`;
}

function renderServiceLogs(logs: readonly ServiceLog[]): SafeHtml {
  return html`${logs.map((service) => html`<details class="service"><summary>Service ${service.name} (<code>${service.image}</code>)</summary>${logBlock(null, logLines(service.log, logConverter()))}</details>`)}`;
}

/** Jobs in columns by stage, each with what it waits for when that is `needs`. */
function renderGraph(pipeline: PipelineView): SafeHtml {
  const stages = [...new Set(pipeline.jobs.map((job) => job.stage))];
  return html`<div class="stages">${stages.map(
    (stage) => html`<div class="stage"><h3>${stage}</h3><ul>${pipeline.jobs
      .filter((job) => job.stage === stage)
      .map(
        (job) => html`<li><a href="#job-${job.id}">${job.name}</a> <span id="badge-${job.id}">${badge(job.status)}</span>${allowedMark(job)}${job.durationMs === null ? '' : html` <span class="muted">${formatDuration(job.durationMs)}</span>`}${
          job.needs && job.needs.length > 0 ? html`<br><span class="muted">needs ${job.needs.join(', ')}</span>` : ''
        }</li>`,
      )}</ul></div>`,
  )}</div>`;
}

/**
 * Whether Retry can work here: a finished pipeline of a forge (a `slipway run` one has no
 * source to fetch again), the newest of its branch or change request, and not a deployment's.
 */
function retriable(pipeline: PipelineView): boolean {
  return isFinished(pipeline.status) && pipeline.forge !== 'local' && pipeline.newerId === null && pipeline.deploymentId === null;
}

function renderActions(pipeline: PipelineView, viewer: Viewer, access: ForgeAccess): SafeHtml {
  if (!allows(access, 'write')) return html``;
  const form = (action: 'retry' | 'cancel', label: string) =>
    html`<form class="inline" method="post" action="/pipelines/${pipeline.id}/${action}"><input type="hidden" name="csrf" value="${viewer.csrf ?? ''}"><button class="action" id="${action}">${label}</button></form>`;
  if (!isFinished(pipeline.status)) return form('cancel', 'Cancel pipeline');
  if (retriable(pipeline)) return form('retry', 'Retry pipeline');
  return pipeline.newerId !== null ? html`<span class="muted">Retry the newer <a href="/pipelines/${pipeline.newerId}">pipeline #${pipeline.newerId}</a></span>` : html``;
}

interface Logs {
  logs: Map<number, string>;
  /** The last log chunk read of each job: where the live stream goes on from. */
  seqs: Map<number, number>;
  serviceLogs: Map<number, ServiceLog[]>;
}

/** The buttons a person with write access has on a job: Retry a failed one, Play a manual one, Run now or Unschedule a delayed one. */
function jobActions(pipeline: PipelineView, job: JobView, viewer: Viewer, access: ForgeAccess): SafeHtml {
  if (!allows(access, 'write')) return html``;
  const button = (action: 'retry' | 'play' | 'unschedule', label: string) =>
    html` <form class="inline" method="post" action="/pipelines/${pipeline.id}/jobs/${job.id}/${action}"><input type="hidden" name="csrf" value="${viewer.csrf ?? ''}"><button class="action" id="${action}-${job.id}">${label}</button></form>`;
  if (job.status === 'manual') return button('play', `Play ${job.name}`);
  if (job.status === 'scheduled') return html`${button('play', 'Run now')}${button('unschedule', 'Unschedule')}`;
  return retriable(pipeline) && (job.status === 'failed' || job.status === 'canceled') ? button('retry', `Retry ${job.name}`) : html``;
}

/** When it ran; or, for a job that waits, what for: a person, or a time (counted down on the page). */
function jobTiming(job: JobView): SafeHtml {
  const played = job.playedBy ? html` · played by ${job.playedBy} at ${when(job.playedAt)}` : '';
  if (job.status === 'scheduled' && job.scheduledAt) return html`starts at ${when(job.scheduledAt)} <span data-countdown="${job.scheduledAt}"></span>`;
  if (job.status === 'manual') return html`waits for a person with write access to play it${played}`;
  if (job.status === 'skipped' || (job.startedAt === null && job.finishedAt === null && job.status !== 'pending' && job.status !== 'running')) return html`did not run${played}`;
  return html`started ${when(job.startedAt)}, finished ${when(job.finishedAt)}${job.durationMs === null ? '' : ` (${formatDuration(job.durationMs)})`}${played}`;
}

/** A job that will never print (skipped, or ended before it started) shows no empty log box. */
const hasNoLog = (job: JobView, log: string | undefined) => !log && (job.status === 'skipped' || (job.status === 'canceled' && job.startedAt === null));

/** What a retry retried, linked: the whole pipeline, or one job and what waited for it. */
function retryNote(pipeline: PipelineView): SafeHtml {
  if (pipeline.retryOf === null) return html``;
  const of = html`<a href="/pipelines/${pipeline.retryOf}">pipeline #${pipeline.retryOf}</a>`;
  return pipeline.retriedJob ? html` · retries ${pipeline.retriedJob} of ${of}` : html` · a retry of ${of}`;
}

/**
 * One job: its state, actions, artifacts, log and services' logs. `anchors` prefixes its lines'
 * ids (`j12-L42` among a pipeline's jobs, `L42` on the job's own page).
 */
export function renderJob(pipeline: PipelineView, job: JobView, viewer: Viewer, access: ForgeAccess, log: string, services: readonly ServiceLog[], anchors: string): SafeHtml {
  return html`<section class="job" id="job-${job.id}"><h2><a href="/pipelines/${pipeline.id}/jobs/${job.id}">${job.name}</a> <span id="status-${job.id}">${badge(job.status)}</span>${allowedMark(job)}${
    job.coverage === null ? '' : html` <span class="muted">coverage ${job.coverage}%</span>`
  } <a class="muted" href="/pipelines/${pipeline.id}/jobs/${job.id}/log">raw log</a>${jobActions(pipeline, job, viewer, access)}</h2>
      <p class="muted">${jobTiming(job)}</p>${job.error ? html`<p class="${job.status === 'failed' && !job.failureAllowed ? 'error' : 'muted'}">${job.error}</p>` : ''}${renderArtifacts(pipeline, job)}
      ${hasNoLog(job, log) ? '' : logBlock(job.id, logLines(log, logConverter()), anchors)}${renderServiceLogs(services)}</section>`;
}

function renderPage(context: WebContext, viewer: Viewer, access: ForgeAccess, pipeline: PipelineView, { logs, seqs, serviceLogs }: Logs): SafeHtml {
  const links = forgeLinks(context.forgeWeb, pipeline.forge, pipeline.project);
  const link = (href: string | undefined, text: SafeHtml | string) => (href ? html`<a href="${href}">${text}</a>` : html`${text}`);
  const jobs = pipeline.jobs.map((job) => renderJob(pipeline, job, viewer, access, logs.get(job.id) ?? '', serviceLogs.get(job.id) ?? [], `j${job.id}-`));
  const image = pipeline.image
    ? html`<p>Image <code>${pipeline.image.ref}</code>${pipeline.image.digest ? html` <code>${pipeline.image.digest}</code>` : ''}${
        pipeline.image.totalSteps ? `, ${pipeline.image.cachedSteps ?? 0}/${pipeline.image.totalSteps} build steps from cache` : ''
      }</p>`
    : '';
  const total = pipeline.startedAt && pipeline.finishedAt ? ` (${formatDuration(new Date(pipeline.finishedAt).getTime() - new Date(pipeline.startedAt).getTime())})` : '';
  const body = html`<h1>Pipeline #${pipeline.id}${pipeline.name ? ` · ${pipeline.name}` : ''} <span id="pipeline-status">${badge(pipeline.status)}</span> ${renderActions(pipeline, viewer, access)}</h1>
<p><a href="${projectPath(pipeline.forge, pipeline.project)}">${pipeline.project}</a> · commit ${link(links?.commit(pipeline.sha), html`<code>${pipeline.sha.slice(0, 12)}</code>`)} on ${link(
    links?.branch(pipeline.ref),
    html`<code>${pipeline.ref}</code>`,
  )}${pipeline.changeRequest ? html` · ${link(links?.changeRequest(pipeline.changeRequest), links?.changeRequestLabel(pipeline.changeRequest) ?? `change request ${pipeline.changeRequest}`)}` : ''}</p>
<p class="muted">created ${when(pipeline.createdAt)}, started ${when(pipeline.startedAt)}, finished ${when(pipeline.finishedAt)}${total}${retryNote(pipeline)}</p>
${pipeline.error ? html`<p class="${pipeline.status === 'skipped' ? 'muted' : 'error'}">${pipeline.error}</p>` : ''}${pipeline.cancelReason ? html`<p class="muted">Canceled: ${pipeline.cancelReason}</p>` : ''}
${image}${pipeline.planNotes.length > 0 ? html`<ul class="notes">${pipeline.planNotes.map((note) => html`<li>${note}</li>`)}</ul>` : ''}
${renderGraph(pipeline)}${jobs}`;
  const cursor = pipeline.jobs.map((job) => `${job.id}:${seqs.get(job.id) ?? -1}`).join(',');
  const live = isFinished(pipeline.status) ? undefined : html`<script src="${LIVE_SCRIPT_PATH}" data-events="/pipelines/${pipeline.id}/events" data-cursor="${cursor}" defer></script>`;
  return page(`Pipeline #${pipeline.id} ${pipeline.status} · ${pipeline.project}`, viewer, body, live);
}

async function logsOf(context: WebContext, pipeline: PipelineView): Promise<Logs> {
  const logs = new Map<number, string>();
  const seqs = new Map<number, number>();
  const serviceLogs = new Map<number, ServiceLog[]>();
  for (const job of pipeline.jobs) {
    const chunks = await context.views.logSince(job.id, -1, 100_000);
    logs.set(job.id, chunks.map((chunk) => chunk.content).join(''));
    seqs.set(job.id, chunks.at(-1)?.seq ?? -1);
    serviceLogs.set(job.id, await context.views.serviceLogs(job.id));
  }
  return { logs, seqs, serviceLogs };
}

/** `GET /pipelines/:id` (a page, or JSON with `Accept: application/json`) and `GET /api/pipelines/:id`. */
export function pipelineRoutes(context: WebContext): Route[] {
  const show = (api: boolean): Route['handle'] =>
    async function (request, response, params) {
      const found = await readablePipeline(request, response, context, params.id, api);
      if (!found) return;
      const { viewer, pipeline, access } = found;
      const read = await logsOf(context, pipeline);
      const { logs, serviceLogs } = read;
      if (api || wantsJson(request)) {
        return sendJson(response, 200, {
          ...pipeline,
          forgeContext: undefined,
          access,
          jobs: pipeline.jobs.map((job) => ({ ...job, log: logs.get(job.id) ?? '', services: serviceLogs.get(job.id) ?? [] })),
        });
      }
      sendPage(response, 200, renderPage(context, viewer, access, pipeline, read));
    };
  return [
    { method: 'GET', path: '/pipelines/:id', handle: show(false) },
    { method: 'GET', path: '/api/pipelines/:id', handle: show(true) },
    {
      method: 'GET',
      path: '/pipelines/:id/jobs/:job/log',
      async handle(request, response, params) {
        const found = await readableJob(request, response, context, params, false);
        if (!found) return;
        const { job } = found;
        response.setHeader('content-disposition', `inline; filename="${found.pipeline.id}-${job.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.log"`);
        response.setHeader('x-content-type-options', 'nosniff');
        sendText(response, 200, await context.views.log(job.id));
      },
    },
    {
      method: 'GET',
      path: '/pipelines/:id/jobs/:job/artifacts',
      async handle(request, response, params) {
        const found = await readableJob(request, response, context, params, false);
        if (!found) return;
        const { pipeline, job } = found;
        const artifacts = job.artifacts;
        if (!artifacts) return sendError(response, 404, `${job.name} of pipeline #${pipeline.id} kept no artifacts`);
        if (artifacts.expiresAt !== null && new Date(artifacts.expiresAt).getTime() <= Date.now()) {
          return sendError(response, 410, `the artifacts of ${job.name} in pipeline #${pipeline.id} expired on ${artifacts.expiresAt}`);
        }
        let archive: NodeJS.ReadableStream;
        try {
          archive = await context.artifacts.openArtifacts(pipeline, artifacts.digest);
        } catch (error) {
          return sendError(response, 502, `the artifacts of ${job.name} could not be read from the registry: ${error instanceof Error ? error.message : String(error)}`);
        }
        response.writeHead(200, {
          'content-type': 'application/gzip',
          'content-length': String(artifacts.size),
          'content-disposition': `attachment; filename="${fileName(artifacts.name)}.tar.gz"`,
          'x-content-type-options': 'nosniff',
        });
        await streamPipeline(archive, response);
      },
    },
  ];
}

/** A download's file name: the artifacts' name, with nothing that could break the header. */
function fileName(name: string): string {
  return (name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'artifacts').slice(0, 100);
}
