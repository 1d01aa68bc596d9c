import AnsiToHtml from 'ansi-to-html';
import type { IncomingMessage } from 'node:http';
import { pipeline as streamPipeline } from 'node:stream/promises';
import type { ServiceLog } from '../pipeline/executor.js';
import { formatDuration } from '../pipeline/format-duration.js';
import type { ArtifactStore } from '../pipeline/artifact-store.js';
import type { JobView, PipelineView, PipelineViews } from '../store/pipeline-views.js';
import { sendError, sendJson, sendText } from './respond.js';
import type { Route } from './router.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

function wantsJson(request: IncomingMessage): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

function renderServiceLogs(converter: AnsiToHtml, logs: readonly ServiceLog[]): string {
  return logs
    .map((service) => `<details class="service"><summary>Service ${escapeHtml(service.name)} (<code>${escapeHtml(service.image)}</code>)</summary><pre>${converter.toHtml(service.log)}</pre></details>`)
    .join('');
}

const sizeText = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

/** The link to a job's artifacts, or what became of them. */
function renderArtifacts(pipeline: PipelineView, job: JobView): string {
  const artifacts = job.artifacts;
  if (!artifacts) return '';
  const what = `${artifacts.files} file${artifacts.files === 1 ? '' : 's'}, ${sizeText(artifacts.size)}`;
  if (artifacts.expiresAt !== null && new Date(artifacts.expiresAt).getTime() <= Date.now()) return `<p class="artifacts">Artifacts (${what}) expired on ${escapeHtml(artifacts.expiresAt)}</p>`;
  const until = artifacts.expiresAt === null ? '' : `, kept until ${escapeHtml(artifacts.expiresAt)}`;
  return `<p class="artifacts"><a href="/pipelines/${pipeline.id}/jobs/${job.id}/artifacts" download>Artifacts: ${escapeHtml(artifacts.name)}.tar.gz</a> (${what}${until})</p>`;
}

function renderPage(pipeline: PipelineView, logs: Map<number, string>, serviceLogs: Map<number, ServiceLog[]>): string {
  const converter = new AnsiToHtml({ escapeXML: true, stream: false, fg: '#ddd', bg: '#111' });
  const jobs = pipeline.jobs
    .map((job) => {
      const duration = `${job.durationMs === null ? '' : ` in ${formatDuration(job.durationMs)}`}${job.coverage === null ? '' : `, coverage ${job.coverage}%`}`;
      const error = job.error ? `<p class="error">${escapeHtml(job.error)}</p>` : '';
      return `<section><h2 class="${job.status}">${escapeHtml(job.name)}: ${job.status}${duration}</h2>${error}${renderArtifacts(pipeline, job)}<pre>${converter.toHtml(logs.get(job.id) ?? '')}</pre>${renderServiceLogs(converter, serviceLogs.get(job.id) ?? [])}</section>`;
    })
    .join('\n');
  const image = pipeline.image
    ? `<p>Image <code>${escapeHtml(pipeline.image.ref)}</code>${pipeline.image.digest ? ` <code>${escapeHtml(pipeline.image.digest)}</code>` : ''}${pipeline.image.totalSteps ? `, ${pipeline.image.cachedSteps ?? 0}/${pipeline.image.totalSteps} build steps from cache` : ''}</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pipeline #${pipeline.id}${pipeline.name ? ` ${escapeHtml(pipeline.name)}` : ''} ${pipeline.status} · ${escapeHtml(pipeline.project)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
pre{background:#111;color:#ddd;padding:1rem;overflow-x:auto;font:13px/1.4 ui-monospace,monospace;white-space:pre-wrap}
.passed{color:#1a7f37}.failed,.error{color:#cf222e}.canceled,.skipped{color:#6e7781}.running,.queued{color:#9a6700}
</style></head><body>
<h1 class="${pipeline.status}">Pipeline #${pipeline.id}${pipeline.name ? ` · ${escapeHtml(pipeline.name)}` : ''}: ${pipeline.status}</h1>
<p>${escapeHtml(pipeline.project)} · <code>${escapeHtml(pipeline.sha)}</code> on <code>${escapeHtml(pipeline.ref)}</code>${pipeline.changeRequest ? ` · change request ${pipeline.changeRequest}` : ''}</p>
${pipeline.error ? `<p class="${pipeline.status === 'skipped' ? 'skipped' : 'error'}">${escapeHtml(pipeline.error)}</p>` : ''}${pipeline.cancelReason ? `<p class="canceled">Canceled: ${escapeHtml(pipeline.cancelReason)}</p>` : ''}
${image}
${pipeline.planNotes.length > 0 ? `<ul class="notes">${pipeline.planNotes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>` : ''}
${jobs}
</body></html>
`;
}

/** `GET /pipelines/:id`: a page a person can read, or its JSON with `Accept: application/json`. */
export function pipelinePageRoute(views: PipelineViews): Route {
  return {
    method: 'GET',
    path: '/pipelines/:id',
    async handle(request, response, params) {
      const id = Number(params.id);
      if (!Number.isSafeInteger(id) || id <= 0) return sendError(response, 400, `"${params.id}" is not a pipeline number`);
      const pipeline = await views.get(id);
      if (!pipeline) return sendError(response, 404, `there is no pipeline #${id}`);
      const logs = new Map<number, string>();
      const serviceLogs = new Map<number, ServiceLog[]>();
      for (const job of pipeline.jobs) {
        logs.set(job.id, await views.log(job.id));
        serviceLogs.set(job.id, await views.serviceLogs(job.id));
      }
      if (wantsJson(request)) {
        return sendJson(response, 200, {
          ...pipeline,
          forgeContext: undefined,
          jobs: pipeline.jobs.map((job) => ({ ...job, log: logs.get(job.id) ?? '', services: serviceLogs.get(job.id) ?? [] })),
        });
      }
      sendText(response, 200, renderPage(pipeline, logs, serviceLogs), 'text/html; charset=utf-8');
    },
  };
}

/** A download's file name: the artifacts' name, with nothing that could break the header. */
function fileName(name: string): string {
  return (name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'artifacts').slice(0, 100);
}

/** `GET /pipelines/:id/jobs/:job/artifacts`: a job's artifacts as the gzipped tar they were kept as. */
export function artifactDownloadRoute(views: PipelineViews, store: ArtifactStore): Route {
  return {
    method: 'GET',
    path: '/pipelines/:id/jobs/:job/artifacts',
    async handle(_request, response, params) {
      const id = Number(params.id);
      const jobId = Number(params.job);
      if (!Number.isSafeInteger(id) || id <= 0) return sendError(response, 400, `"${params.id}" is not a pipeline number`);
      if (!Number.isSafeInteger(jobId) || jobId <= 0) return sendError(response, 400, `"${params.job}" is not a job number`);
      const pipeline = await views.get(id);
      const job = pipeline?.jobs.find((each) => each.id === jobId);
      if (!pipeline || !job) return sendError(response, 404, `pipeline #${id} has no job #${jobId}`);
      const artifacts = job.artifacts;
      if (!artifacts) return sendError(response, 404, `${job.name} of pipeline #${id} kept no artifacts`);
      if (artifacts.expiresAt !== null && new Date(artifacts.expiresAt).getTime() <= Date.now()) {
        return sendError(response, 410, `the artifacts of ${job.name} in pipeline #${id} expired on ${artifacts.expiresAt}`);
      }
      let archive: NodeJS.ReadableStream;
      try {
        archive = await store.openArtifacts(pipeline.project, artifacts.digest);
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
  };
}
