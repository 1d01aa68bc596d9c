import type { IncomingMessage } from 'node:http';
import { allEnvironments } from '../deploy/resolve-environment.js';
import { runningNow } from '../model/deployment.js';
import { sendError, sendJson } from '../http/respond.js';
import type { Route } from '../http/router.js';
import type { ForgeName } from '../model/forge-event.js';
import { PIPELINE_STATUSES, type PipelineStatus } from '../model/status.js';
import type { PipelineFilter, PipelineSummary } from '../store/pipeline-views.js';
import { html, type SafeHtml } from './html.js';
import { formatDuration } from '../util/format-duration.js';
import { badge, page, projectPath, sendPage, when } from './layout.js';
import { allows, authenticate, readable, wantsJson, type WebContext } from './web-context.js';

const PAGE_SIZE = 25;
const FORGES = new Set<string>(['github', 'gitlab', 'local']);

const pipelineRow = (pipeline: PipelineSummary) =>
  html`<tr><td><a href="/pipelines/${pipeline.id}">#${pipeline.id}</a></td><td>${badge(pipeline.status)}</td><td><code>${pipeline.ref}</code>${
    pipeline.changeRequest ? html` <span class="muted">!${pipeline.changeRequest}</span>` : ''
  }</td><td><code>${pipeline.sha.slice(0, 10)}</code></td><td>${when(pipeline.createdAt)}</td><td>${durationOf(pipeline)}</td></tr>`;

/** How long it ran, or has been running; a dash before it starts. */
function durationOf(pipeline: PipelineSummary): SafeHtml {
  if (!pipeline.startedAt) return html`<span class="muted">–</span>`;
  const end = pipeline.finishedAt ? new Date(pipeline.finishedAt).getTime() : Date.now();
  return html`${formatDuration(end - new Date(pipeline.startedAt).getTime())}${pipeline.finishedAt ? '' : html` <span class="muted">so far</span>`}`;
}

/** The filter of a project page's query: `?q=&ref=&status=&mr=&before=`; a bad value is refused by name. */
function filterOf(request: IncomingMessage): PipelineFilter | string {
  const query = new URL(request.url ?? '/', 'http://slipway').searchParams;
  const filter: PipelineFilter = { limit: PAGE_SIZE };
  const ref = query.get('ref');
  if (ref) filter.ref = ref.slice(0, 500);
  const search = query.get('q')?.trim();
  if (search) filter.search = search.slice(0, 200);
  const status = query.get('status');
  if (status) {
    if (!(PIPELINE_STATUSES as readonly string[]).includes(status)) return `status must be one of ${PIPELINE_STATUSES.join(', ')}`;
    filter.status = status as PipelineStatus;
  }
  for (const [name, key] of [['mr', 'changeRequest'], ['before', 'before']] as const) {
    const value = query.get(name);
    if (!value) continue;
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number <= 0 || number > 2 ** 31) return `${name} must be a positive whole number`;
    filter[key] = number;
  }
  return filter;
}

/** A project's environments in SLIPWAY_CONFIG, with the commit each runs (null: nothing deployed yet). */
async function environmentsOf(context: WebContext, project: string): Promise<Array<{ environment: string; sha: string | null }>> {
  const refs = allEnvironments(context.policy).filter((ref) => ref.project === project);
  return Promise.all(refs.map(async (ref) => ({ environment: ref.environment, sha: runningNow(await context.deployments.lastSucceeded(project, ref.environment))?.sha ?? null })));
}

/** `/`, `/projects/:forge/:project` and their JSON under `/api/`. */
export function projectRoutes(context: WebContext): Route[] {
  const home = (api: boolean): Route['handle'] =>
    async function (request, response) {
      const viewer = await authenticate(request, response, context, api);
      if (!viewer) return;
      const projects = await readable(context, viewer, await context.views.projects());
      const listed = await Promise.all(projects.map(async (latest) => ({ forge: latest.forge, project: latest.project, latest, environments: await environmentsOf(context, latest.project) })));
      if (api || wantsJson(request)) return sendJson(response, 200, { projects: listed });
      const rows = listed.map(
        ({ latest, environments }) =>
          html`<tr><td><a href="${projectPath(latest.forge, latest.project)}">${latest.project}</a> <span class="muted">${latest.forge}</span></td><td><a href="/pipelines/${latest.id}">#${latest.id}</a> ${badge(latest.status)}</td><td><code>${latest.ref}</code></td><td>${when(latest.createdAt)}</td><td>${environments.map(
            (environment) => html`<a href="/environments#${latest.project}/${environment.environment}">${environment.environment}</a>${environment.sha ? html` <code>${environment.sha.slice(0, 8)}</code>` : html` <span class="muted">–</span>`}<br>`,
          )}</td></tr>`,
      );
      const body = html`<h1>Projects</h1>${
        projects.length === 0
          ? html`<p class="muted">No project you can read has run a pipeline here yet.</p>`
          : html`<div class="table"><table><thead><tr><th>Project</th><th>Latest pipeline</th><th>Ref</th><th>Created</th><th>Environments</th></tr></thead><tbody>${rows}</tbody></table></div>`
      }<p><a href="/environments">Environments and deploys</a></p>`;
      sendPage(response, 200, page('Projects', viewer, body));
    };

  const project = (api: boolean): Route['handle'] =>
    async function (request, response, params) {
      const viewer = await authenticate(request, response, context, api);
      if (!viewer) return;
      const forge = params.forge!;
      const name = params.project!;
      if (!FORGES.has(forge) || !allows(await context.access.of(viewer, forge as ForgeName, name), 'read')) return sendError(response, 404, `there is no project ${forge}/${name} here`);
      const filter = filterOf(request);
      if (typeof filter === 'string') return sendError(response, 400, filter);
      const pipelines = await context.views.list(forge as ForgeName, name, filter);
      const next = pipelines.length === PAGE_SIZE ? pipelines.at(-1)!.id : null;
      if (api || wantsJson(request)) return sendJson(response, 200, { forge, project: name, pipelines, next });
      const query = new URL(request.url ?? '/', 'http://slipway').searchParams;
      query.delete('before');
      const more = next === null ? '' : html`<p><a href="?${query.toString()}${query.size > 0 ? '&' : ''}before=${next}">Older pipelines</a></p>`;
      const body = html`<h1>${name} <span class="muted">${forge}</span></h1>
<form class="filters" method="get"><label>Branch or commit <input name="q" type="search" placeholder="feature/x or a1b2c3d" value="${filter.search ?? ''}"></label>${filter.ref ? html`<input type="hidden" name="ref" value="${filter.ref}">` : ''}<label>Status <select name="status"><option value="">any</option>${PIPELINE_STATUSES.map(
        (status) => html`<option${filter.status === status ? html` selected` : ''}>${status}</option>`,
      )}</select></label><label>Merge request <input name="mr" inputmode="numeric" size="6" value="${filter.changeRequest ?? ''}"></label><button class="action">Filter</button></form>
${pipelines.length === 0 ? html`<p class="muted">No pipelines match.</p>` : html`<div class="table"><table><thead><tr><th>Pipeline</th><th>Status</th><th>Ref</th><th>Commit</th><th>Created</th><th>Duration</th></tr></thead><tbody>${pipelines.map(pipelineRow)}</tbody></table></div>`}${more}`;
      sendPage(response, 200, page(name, viewer, body));
    };

  return [
    { method: 'GET', path: '/', handle: home(false) },
    { method: 'GET', path: '/api/projects', handle: home(true) },
    { method: 'GET', path: '/projects/:forge/:project', handle: project(false) },
    { method: 'GET', path: '/api/projects/:forge/:project/pipelines', handle: project(true) },
  ];
}
