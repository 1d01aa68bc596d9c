import type { FirstLogin } from './first-login.js';
import type { ReviewAppStore } from '../store/review-app-store.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PolicyFile } from '../config/policy-file.js';
import type { ForgeLogin } from '../forges/forge-login.js';
import type { ForgeAccess, ForgeName } from '../model/forge-event.js';
import type { ArtifactStore } from '../pipeline/artifact-store.js';
import type { PipelineControl } from '../runner/pipeline-control.js';
import type { DeploymentStore } from '../store/deployment-store.js';
import type { PipelineView, PipelineViews } from '../store/pipeline-views.js';
import type { WebSessionStore } from '../store/web-session-store.js';
import type { Logger } from '../telemetry/logger.js';
import { readBody } from '../http/read-body.js';
import type { Params } from '../http/router.js';
import { sendError } from '../http/respond.js';
import { loginPrompt, sendPage } from './layout.js';
import type { ProjectAccess } from './project-access.js';
import { viewerOf, type Viewer } from './viewer.js';
import { tokensMatch } from '../util/tokens-match.js';

/** What the web UI and its API need. */
export interface WebContext {
  publicUrl: string;
  sessions: WebSessionStore;
  sessionSeconds: number;
  adminToken: string | undefined;
  /** A one-time admin sign-in, only on a server with no login configured (see `createFirstLogin`). */
  firstLogin?: FirstLogin;
  logins: ForgeLogin[];
  access: ProjectAccess;
  views: PipelineViews;
  deployments: DeploymentStore;
  /** Review apps (environments the policy deploys in the pipeline), for the environments page. */
  reviewApps: Pick<ReviewAppStore, 'list'>;
  policy: PolicyFile;
  control: PipelineControl;
  artifacts: ArtifactStore;
  logger: Logger;
  /** The forges' websites, for links to commits, branches and change requests. */
  forgeWeb: Partial<Record<ForgeName, string>>;
  /** Live pages: how often a stream looks for new log lines (ms). */
  livePollMs?: number;
}

export const secureCookies = (context: WebContext) => context.publicUrl.startsWith('https:');

export function wantsJson(request: IncomingMessage): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/**
 * The viewer of a request, or undefined after answering 401: a page gets the login prompt as
 * its body, the API a JSON error. Nothing is shown to nobody.
 */
export async function authenticate(request: IncomingMessage, response: ServerResponse, context: WebContext, api: boolean): Promise<Viewer | undefined> {
  const viewer = await viewerOf(request, { sessions: context.sessions, adminToken: context.adminToken });
  if (viewer) return viewer;
  if (api || wantsJson(request)) {
    response.setHeader('www-authenticate', 'Bearer');
    sendError(response, 401, 'log in first: send a session cookie, or Authorization: Bearer with a personal token (make one at /tokens)');
  } else {
    sendPage(response, 401, loginPrompt(context.logins, Boolean(context.adminToken), request.url ?? '/', Boolean(context.firstLogin)));
  }
  return undefined;
}

/** A form or JSON body of at most 64 KiB, as name -> value. */
export async function readForm(request: IncomingMessage): Promise<Record<string, string>> {
  const text = (await readBody(request, 64 * 1024)).toString('utf8');
  if ((request.headers['content-type'] ?? '').includes('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text || '{}');
    } catch {
      // A body that is not JSON carries no fields: the CSRF check or the field's own check refuses it.
      return {};
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/**
 * A state-changing request from a browser must carry the session's CSRF token (form field
 * `csrf` or header `x-csrf-token`); bearer tokens are never sent by a browser on its own.
 */
export function checkCsrf(request: IncomingMessage, response: ServerResponse, viewer: Viewer, form: Record<string, string>): boolean {
  if (viewer.csrf === null) return true;
  const given = form.csrf ?? (typeof request.headers['x-csrf-token'] === 'string' ? request.headers['x-csrf-token'] : undefined);
  if (given !== undefined && tokensMatch(given, viewer.csrf)) return true;
  sendError(response, 403, 'this request has no valid CSRF token: reload the page and try again');
  return false;
}

const RANK: Record<ForgeAccess, number> = { none: 0, read: 1, write: 2 };

export const allows = (access: ForgeAccess, needed: Exclude<ForgeAccess, 'none'>) => RANK[access] >= RANK[needed];

/**
 * A pipeline the viewer may read, or undefined after answering 404 (another project's
 * pipeline is not even said to exist) or 400.
 */
export async function visiblePipeline(
  response: ServerResponse,
  context: WebContext,
  viewer: Viewer,
  idText: string | undefined,
): Promise<{ pipeline: PipelineView; access: ForgeAccess } | undefined> {
  const id = Number(idText);
  if (!Number.isSafeInteger(id) || id <= 0) {
    sendError(response, 400, `"${idText}" is not a pipeline number`);
    return undefined;
  }
  const pipeline = await context.views.get(id);
  const access = pipeline ? await context.access.of(viewer, pipeline.forge, pipeline.project) : 'none';
  if (!pipeline || !allows(access, 'read')) {
    sendError(response, 404, `there is no pipeline #${id}`);
    return undefined;
  }
  return { pipeline, access };
}

/** The viewer and a pipeline they may read, or undefined after answering (401, 400 or 404). */
export async function readablePipeline(
  request: IncomingMessage,
  response: ServerResponse,
  context: WebContext,
  idText: string | undefined,
  api: boolean,
): Promise<{ viewer: Viewer; pipeline: PipelineView; access: ForgeAccess } | undefined> {
  const viewer = await authenticate(request, response, context, api);
  if (!viewer) return undefined;
  const found = await visiblePipeline(response, context, viewer, idText);
  return found ? { viewer, ...found } : undefined;
}

/** One job of a readable pipeline, or undefined after answering (404 when the pipeline has no such job). */
export async function readableJob(request: IncomingMessage, response: ServerResponse, context: WebContext, params: Params, api: boolean) {
  const found = await readablePipeline(request, response, context, params.id, api);
  if (!found) return undefined;
  const job = found.pipeline.jobs.find((each) => String(each.id) === params.job);
  if (!job) {
    sendError(response, 404, `pipeline #${found.pipeline.id} has no job #${params.job}`);
    return undefined;
  }
  return { ...found, job };
}

/** The projects of `candidates` the viewer may read. */
export async function readable<T extends { forge: ForgeName; project: string }>(context: WebContext, viewer: Viewer, candidates: T[]): Promise<T[]> {
  const kept: T[] = [];
  for (const candidate of candidates) if (allows(await context.access.of(viewer, candidate.forge, candidate.project), 'read')) kept.push(candidate);
  return kept;
}
