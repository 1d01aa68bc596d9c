import { seeOther, sendError, sendJson } from '../http/respond.js';
import type { Route } from '../http/router.js';
import { allows, checkCsrf, readablePipeline, readForm, wantsJson, type WebContext } from './web-context.js';

/**
 * `POST /pipelines/:id/retry|cancel`, `POST /pipelines/:id/jobs/:job/retry` (forms: to the
 * pipeline's page, or the new one's) and the same under `/api/`
 * (JSON). Write access on the forge is needed; a browser's request carries the CSRF token.
 */
export function pipelineActionRoutes(context: WebContext): Route[] {
  const act = (action: 'retry' | 'cancel' | 'retry-job', api: boolean): Route['handle'] =>
    async function (request, response, params) {
      const found = await readablePipeline(request, response, context, params.id, api);
      if (!found) return;
      const { viewer, pipeline, access } = found;
      if (!checkCsrf(request, response, viewer, await readForm(request))) return;
      const verb = action === 'cancel' ? 'cancel' : 'retry';
      if (!allows(access, 'write')) return sendError(response, 403, `you may read ${pipeline.project} but not ${verb} its pipelines: that takes write access on ${pipeline.forge}`);
      const by = `${viewer.identity.login}${viewer.identity.forge ? ` (${viewer.identity.forge})` : ''}`;
      let outcome;
      if (action === 'retry-job') {
        const job = pipeline.jobs.find((each) => String(each.id) === params.job);
        if (!job) return sendError(response, 404, `pipeline #${pipeline.id} has no job #${params.job}`);
        outcome = await context.control.retry(pipeline.id, job.name);
      } else {
        outcome = action === 'retry' ? await context.control.retry(pipeline.id) : await context.control.cancel(pipeline.id, by);
      }
      if (!outcome.ok) return sendError(response, 409, outcome.reason);
      context.logger.info({ pipelineId: pipeline.id, action, by }, 'pipeline action from the web');
      const target = 'pipelineId' in outcome ? outcome.pipelineId : pipeline.id;
      if (api || wantsJson(request)) return sendJson(response, action === 'cancel' ? 202 : 201, { pipelineId: target });
      seeOther(response, `/pipelines/${target}`);
    };
  return [
    { method: 'POST', path: '/pipelines/:id/retry', handle: act('retry', false) },
    { method: 'POST', path: '/pipelines/:id/cancel', handle: act('cancel', false) },
    { method: 'POST', path: '/api/pipelines/:id/retry', handle: act('retry', true) },
    { method: 'POST', path: '/api/pipelines/:id/cancel', handle: act('cancel', true) },
    { method: 'POST', path: '/pipelines/:id/jobs/:job/retry', handle: act('retry-job', false) },
    { method: 'POST', path: '/api/pipelines/:id/jobs/:job/retry', handle: act('retry-job', true) },
  ];
}
