import type { Route } from '../http/router.js';
import { html } from './html.js';
import { page, sendPage } from './layout.js';
import { LIVE_SCRIPT_PATH } from './live-script.js';
import { isFinished, renderJob } from './pipeline-page.js';
import { readableJob, type WebContext } from './web-context.js';

/**
 * `GET /pipelines/:id/jobs/:job`: one job on a page of its own, as GitLab's job page, its lines
 * anchored `#L42` for links to one line; it follows a running job live.
 */
export function jobPageRoutes(context: WebContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/pipelines/:id/jobs/:job',
      async handle(request, response, params) {
        const found = await readableJob(request, response, context, params, false);
        if (!found) return;
        const { viewer, pipeline, access, job } = found;
        const chunks = await context.views.logSince(job.id, -1, 100_000);
        const log = chunks.map((chunk) => chunk.content).join('');
        const body = html`<p><a href="/pipelines/${pipeline.id}">Pipeline #${pipeline.id}</a> · ${pipeline.project} · <code>${pipeline.ref}</code></p>${renderJob(
          pipeline,
          job,
          viewer,
          access,
          log,
          await context.views.serviceLogs(job.id),
          '',
        )}`;
        const cursor = `${job.id}:${chunks.at(-1)?.seq ?? -1}`;
        const live = isFinished(job.status) ? undefined : html`<script src="${LIVE_SCRIPT_PATH}" data-events="/pipelines/${pipeline.id}/events" data-cursor="${cursor}" data-job="${job.id}" defer></script>`;
        sendPage(response, 200, page(`${job.name} ${job.status} · Pipeline #${pipeline.id}`, viewer, body, live));
      },
    },
  ];
}
