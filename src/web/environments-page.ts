import { reviewEnvironments } from '../config/policy-file.js';
import { allEnvironments } from '../deploy/resolve-environment.js';
import { sendJson } from '../http/respond.js';
import type { Route } from '../http/router.js';
import type { AuditEvent, Deployment, EnvironmentLock } from '../model/deployment.js';
import type { ForgeName } from '../model/forge-event.js';
import type { ReviewApp } from '../store/review-app-store.js';
import { html } from './html.js';
import { badge, page, sendPage, when } from './layout.js';
import { allows, authenticate, wantsJson, type WebContext } from './web-context.js';
import { isAdmin, type Viewer } from './viewer.js';

interface EnvironmentView {
  project: string;
  environment: string;
  /** Where it is reached (`url` in SLIPWAY_CONFIG). */
  url: string | null;
  current: Deployment | null;
  lock: EnvironmentLock | null;
  history: AuditEvent[];
}

/** The environments of SLIPWAY_CONFIG whose project the viewer may read, with what runs there. */
async function environmentsFor(context: WebContext, viewer: Viewer): Promise<EnvironmentView[]> {
  const shown: EnvironmentView[] = [];
  for (const ref of allEnvironments(context.policy)) {
    const forge = await context.views.forgeOf(ref.project);
    // A project no pipeline has come from has no forge to ask: only the admin sees it.
    const visible = forge ? allows(await context.access.of(viewer, forge, ref.project), 'read') : isAdmin(viewer);
    if (!visible) continue;
    shown.push({
      project: ref.project,
      environment: ref.environment,
      url: ref.policy.url ?? null,
      current: await context.deployments.lastSucceeded(ref.project, ref.environment),
      lock: await context.deployments.getLock(ref.project, ref.environment),
      history: await context.deployments.history(ref.project, ref.environment, 10),
    });
  }
  return shown;
}

function renderEnvironment(view: EnvironmentView) {
  const current = view.current;
  const now = current?.kind === 'stop'
    ? html`<p>Stopped ${when(current.finishedAt)} by the stop job of ${current.jobPipelineId ? html`<a href="/pipelines/${current.jobPipelineId}">pipeline #${current.jobPipelineId}</a>` : 'its commit'} (it ran <code>${current.sha.slice(0, 12)}</code>), asked by ${current.requestedBy}, approved by ${current.decidedBy ?? '–'}</p>`
    : current
    ? html`<p>Runs <code>${current.sha.slice(0, 12)}</code> <code>${current.digest}</code>${
        current.pipelineId ? html` from <a href="/pipelines/${current.pipelineId}">pipeline #${current.pipelineId}</a>` : ''
      }${current.jobPipelineId ? html`, deployed by the deploy jobs of <a href="/pipelines/${current.jobPipelineId}">pipeline #${current.jobPipelineId}</a>` : ''}, asked by ${current.requestedBy}, approved by ${current.decidedBy ?? '–'}, since ${when(current.finishedAt)}</p>`
    : html`<p class="muted">Nothing has been deployed here through Slipway.</p>`;
  const lock = view.lock
    ? html`<p class="error">Locked by ${view.lock.lockedBy} since ${when(view.lock.lockedAt)}${view.lock.expiresAt ? html` until ${when(view.lock.expiresAt)}` : ''}: ${view.lock.reason}</p>`
    : '';
  const history =
    view.history.length === 0
      ? ''
      : html`<div class="table"><table><thead><tr><th>When</th><th>What</th><th>Who</th><th>Commit</th></tr></thead><tbody>${view.history.map(
          (event) => html`<tr><td>${when(event.at)}</td><td>${badge(event.action.replace(/\s+/g, '-'))}</td><td>${event.actor}</td><td><code>${event.sha?.slice(0, 12) ?? ''}</code></td></tr>`,
        )}</tbody></table></div>`;
  const url = view.url ? html`<p>At <a href="${view.url}" rel="noopener">${view.url}</a></p>` : '';
  return html`<section class="environment" id="${view.project}/${view.environment}"><h2>${view.project} · ${view.environment}</h2>${url}${now}${lock}${history}</section>`;
}

/** The review apps of projects the viewer may read: a project's apps are shown to whoever may read the project. */
async function reviewAppsFor(context: WebContext, viewer: Viewer): Promise<ReviewApp[]> {
  const projects = Object.entries(context.policy.projects).filter(([, settings]) => reviewEnvironments(settings).length > 0);
  const visible: Array<{ forge: ForgeName; project: string }> = [];
  for (const [project] of projects) {
    const forge = await context.views.forgeOf(project);
    if (forge && allows(await context.access.of(viewer, forge, project), 'read')) visible.push({ forge, project });
  }
  return context.reviewApps.list(visible);
}

function renderReviewApps(apps: ReviewApp[]) {
  if (apps.length === 0) return '';
  const state = (app: ReviewApp) =>
    app.state === 'stopped'
      ? html`${badge('stopped')} ${when(app.stoppedAt)}${app.stoppedBy ? html` by ${app.stoppedBy}` : ''}${app.stopNote ? html`: ${app.stopNote}` : ''}`
      : html`${badge(app.state)}${app.autoStopAt ? html` <span class="muted">stops by itself ${when(app.autoStopAt)}</span>` : ''}`;
  return html`<h2>Review apps</h2><p class="muted">Environments the policy deploys in the pipeline (approval: none); each stops with its on_stop job when its merge request closes or its branch is deleted.</p><div class="table"><table><thead><tr><th>Environment</th><th>State</th><th>Commit</th><th>Deployed by</th></tr></thead><tbody>${apps.map(
    (app) =>
      html`<tr class="review-app"><td>${app.project} · ${app.url ? html`<a href="${app.url}" rel="noopener">${app.environment}</a>` : app.environment}</td><td>${state(app)}</td><td><code>${app.sha.slice(0, 12)}</code> <code>${app.ref}</code></td><td><a href="/pipelines/${app.pipelineId}">pipeline #${app.pipelineId}</a> (${app.job}) ${when(app.deployedAt)}</td></tr>`,
  )}</tbody></table></div>`;
}

/** `GET /environments` and `GET /api/environments`. */
export function environmentRoutes(context: WebContext): Route[] {
  const show = (api: boolean): Route['handle'] =>
    async function (request, response) {
      const viewer = await authenticate(request, response, context, api);
      if (!viewer) return;
      const environments = await environmentsFor(context, viewer);
      const reviewApps = await reviewAppsFor(context, viewer);
      if (api || wantsJson(request)) return sendJson(response, 200, { environments, reviewApps });
      const body = html`<h1>Environments</h1>${
        environments.length === 0 && reviewApps.length === 0 ? html`<p class="muted">No environment of a project you can read is configured (SLIPWAY_CONFIG).</p>` : environments.map(renderEnvironment)
      }${renderReviewApps(reviewApps)}`;
      sendPage(response, 200, page('Environments', viewer, body));
    };
  return [
    { method: 'GET', path: '/environments', handle: show(false) },
    { method: 'GET', path: '/api/environments', handle: show(true) },
  ];
}
