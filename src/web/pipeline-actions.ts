import type { ServerResponse } from 'node:http';
import { sendError, sendJson } from '../http/respond.js';
import type { Route } from '../http/router.js';
import { allows, authenticate, checkCsrf, readForm, visiblePipeline, wantsJson, type WebContext } from './web-context.js';

/**
 * `POST /pipelines/:id/retry|cancel` (forms: back to the page) and the same under `/api/`
 * (JSON). Write access on the forge is needed; a browser's request carries the CSRF token.
 */
export function pipelineActionRoutes(context: WebContext): Route[] {
  const act = (action: 'retry' | 'cancel', api: boolean): Route['handle'] =>
    async function (request, response, params) {
      const viewer = await authenticate(request, response, context, api);
      if (!viewer) return;
      const form = await readForm(request).catch(() => ({}) as Record<string, string>);
      if (!checkCsrf(request, response, viewer, form)) return;
      const found = await visiblePipeline(response, context, viewer, params.id);
      if (!found) return;
      const { pipeline, access } = found;
      if (!allows(access, 'write')) return sendError(response, 403, `you may read ${pipeline.project} but not ${action} its pipelines: that takes write access on ${pipeline.forge}`);
      const by = `${viewer.identity.login}${viewer.identity.forge ? ` (${viewer.identity.forge})` : ''}`;
      const outcome = action === 'retry' ? await context.control.retry(pipeline.id) : await context.control.cancel(pipeline.id, by);
      if (!outcome.ok) return sendError(response, 409, outcome.reason);
      context.logger.info({ pipelineId: pipeline.id, action, by }, 'pipeline action from the web');
      const target = 'pipelineId' in outcome ? outcome.pipelineId : pipeline.id;
      if (api || wantsJson(request)) return sendJson(response, action === 'retry' ? 201 : 202, { pipelineId: target });
      seeOther(response, `/pipelines/${target}`);
    };
  return [
    { method: 'POST', path: '/pipelines/:id/retry', handle: act('retry', false) },
    { method: 'POST', path: '/pipelines/:id/cancel', handle: act('cancel', false) },
    { method: 'POST', path: '/api/pipelines/:id/retry', handle: act('retry', true) },
    { method: 'POST', path: '/api/pipelines/:id/cancel', handle: act('cancel', true) },
  ];
}

function seeOther(response: ServerResponse, location: string): void {
  response.writeHead(303, { location, 'content-length': '0' });
  response.end();
}
