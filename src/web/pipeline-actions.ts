import { seeOther, sendError, sendJson } from '../http/respond.js';
import type { Route } from '../http/router.js';
import type { Checked } from '../model/refusal.js';
import type { JobView, PipelineView } from '../store/pipeline-views.js';
import { html } from './html.js';
import { page, sendPage } from './layout.js';
import { allows, checkCsrf, readablePipeline, readForm, wantsJson, type WebContext } from './web-context.js';

type PipelineAction = 'retry' | 'cancel';
type JobAction = 'retry' | 'play' | 'unschedule';

/** What each action asks of the control, and the answer's status code. */
function perform(context: WebContext, pipeline: PipelineView, job: JobView | undefined, action: PipelineAction | JobAction, by: string): Promise<Checked<{ pipelineId?: number }>> {
  if (!job) return action === 'cancel' ? context.control.cancel(pipeline.id, by) : context.control.retry(pipeline.id);
  if (action === 'play') return context.control.play(pipeline.id, job.name, by);
  if (action === 'unschedule') return context.control.unschedule(pipeline.id, job.name, by);
  return context.control.retry(pipeline.id, job.name);
}

/**
 * `POST /pipelines/:id/retry|cancel`, `POST /pipelines/:id/jobs/:job/retry|play|unschedule`
 * (forms: to the pipeline's page, or the new one's) and the same under `/api/` (JSON). Write
 * access on the forge is needed, as GitLab asks it to play a manual job; a browser's request
 * carries the CSRF token.
 */
export function pipelineActionRoutes(context: WebContext): Route[] {
  const act = (action: PipelineAction | JobAction, onJob: boolean, api: boolean): Route['handle'] =>
    async function (request, response, params) {
      const found = await readablePipeline(request, response, context, params.id, api);
      if (!found) return;
      const { viewer, pipeline, access } = found;
      if (!checkCsrf(request, response, viewer, await readForm(request))) return;
      // A browser is answered with a page that says why and leads back; the API with JSON.
      const refuse = (status: number, reason: string) =>
        api || wantsJson(request)
          ? sendError(response, status, reason)
          : sendPage(response, status, page('Not done', viewer, html`<h1>Not done</h1><p class="error">${reason}</p><p><a href="/pipelines/${pipeline.id}">Back to pipeline #${pipeline.id}</a></p>`));
      const what = onJob ? `${action} its jobs` : `${action} its pipelines`;
      if (!allows(access, 'write')) return refuse(403, `you may read ${pipeline.project} but not ${what}: that takes write access on ${pipeline.forge}`);
      const job = onJob ? pipeline.jobs.find((each) => String(each.id) === params.job) : undefined;
      if (onJob && !job) return refuse(404, `pipeline #${pipeline.id} has no job #${params.job}`);
      const by = `${viewer.identity.login}${viewer.identity.forge ? ` (${viewer.identity.forge})` : ''}`;
      const outcome = await perform(context, pipeline, job, action, by);
      if (!outcome.ok) return refuse(409, outcome.reason);
      context.logger.info({ pipelineId: pipeline.id, action, job: job?.name, by }, 'pipeline action from the web');
      const target = outcome.pipelineId ?? pipeline.id;
      if (api || wantsJson(request)) return sendJson(response, action === 'retry' ? 201 : 202, { pipelineId: target });
      seeOther(response, `/pipelines/${target}${job && target === pipeline.id ? `#job-${job.id}` : ''}`);
    };
  const routes: Route[] = [];
  for (const action of ['retry', 'cancel'] as const) {
    routes.push({ method: 'POST', path: `/pipelines/:id/${action}`, handle: act(action, false, false) }, { method: 'POST', path: `/api/pipelines/:id/${action}`, handle: act(action, false, true) });
  }
  for (const action of ['retry', 'play', 'unschedule'] as const) {
    routes.push({ method: 'POST', path: `/pipelines/:id/jobs/:job/${action}`, handle: act(action, true, false) }, { method: 'POST', path: `/api/pipelines/:id/jobs/:job/${action}`, handle: act(action, true, true) });
  }
  return routes;
}
