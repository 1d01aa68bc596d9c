import AnsiToHtml from 'ansi-to-html';
import type { IncomingMessage } from 'node:http';
import type { ServiceLog } from '../pipeline/executor.js';
import { formatDuration } from '../pipeline/format-duration.js';
import type { PipelineView, PipelineViews } from '../store/pipeline-views.js';
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

function renderPage(pipeline: PipelineView, logs: Map<number, string>, serviceLogs: Map<number, ServiceLog[]>): string {
  const converter = new AnsiToHtml({ escapeXML: true, stream: false, fg: '#ddd', bg: '#111' });
  const jobs = pipeline.jobs
    .map((job) => {
      const duration = `${job.durationMs === null ? '' : ` in ${formatDuration(job.durationMs)}`}${job.coverage === null ? '' : `, coverage ${job.coverage}%`}`;
      const error = job.error ? `<p class="error">${escapeHtml(job.error)}</p>` : '';
      return `<section><h2 class="${job.status}">${escapeHtml(job.name)}: ${job.status}${duration}</h2>${error}<pre>${converter.toHtml(logs.get(job.id) ?? '')}</pre>${renderServiceLogs(converter, serviceLogs.get(job.id) ?? [])}</section>`;
    })
    .join('\n');
  const image = pipeline.image
    ? `<p>Image <code>${escapeHtml(pipeline.image.ref)}</code>${pipeline.image.digest ? ` <code>${escapeHtml(pipeline.image.digest)}</code>` : ''}${pipeline.image.totalSteps ? `, ${pipeline.image.cachedSteps ?? 0}/${pipeline.image.totalSteps} build steps from cache` : ''}</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pipeline #${pipeline.id} ${pipeline.status} · ${escapeHtml(pipeline.project)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
pre{background:#111;color:#ddd;padding:1rem;overflow-x:auto;font:13px/1.4 ui-monospace,monospace;white-space:pre-wrap}
.passed{color:#1a7f37}.failed,.error{color:#cf222e}.canceled,.skipped{color:#6e7781}.running,.queued{color:#9a6700}
</style></head><body>
<h1 class="${pipeline.status}">Pipeline #${pipeline.id}: ${pipeline.status}</h1>
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
