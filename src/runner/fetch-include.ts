import http from 'node:http';
import https from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { MAX_INCLUDED_FILE_BYTES, type Forge } from '../forges/forge.js';
import type { ForgeTarget } from '../model/forge-event.js';
import { abortReason, deadline } from '../util/within-time.js';
import type { FetchedInclude, IncludeRequest } from '../pipeline/read/gitlab-ci/resolve-includes.js';
import type { FetchInclude } from '../pipeline/read/fetch-includes-between-reads.js';

export interface IncludeFetchOptions {
  /** The pipeline's forge and project: `include:project` is read through it. */
  forge: Forge;
  target: ForgeTarget;
  /** The pipeline's commit, the head of a `rules:changes` comparison. */
  sha: string;
  /** Private projects (besides the pipeline's own) that this project may include from. */
  includeProjects: readonly string[];
  /** The pipeline's cancellation: a fetch under way stops with it. */
  signal?: AbortSignal;
  remote: {
    /** How long one remote file may take to arrive, all of it. */
    timeoutMs: number;
    /** Private-range addresses a remote include may still reach (a self-hosted template server). */
    allowedAddresses: readonly string[];
  };
}

/** How long a remote include may take to arrive, all of it. */
export const REMOTE_INCLUDE_TIMEOUT_MS = 10_000;
/** How long all of a pipeline's includes may take together, however deep they nest. */
export const INCLUDES_TIMEOUT_MS = 60_000;
/** How long a project file or a comparison may take, through the forge's API. */
export const FORGE_INCLUDE_TIMEOUT_MS = 15_000;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * An `include:remote` URL, fetched as a stranger would: only public addresses (resolved names
 * included, so a name pointing at 127.0.0.1 or the cloud's metadata address is refused), no
 * redirects, at most a pipeline file's size, all of it within the time limit (a server dripping
 * a byte at a time is cut off like a silent one) or until `signal` aborts (the pipeline's cancel).
 */
export function fetchRemote(url: string, options: IncludeFetchOptions['remote'], signal?: AbortSignal): Promise<FetchedInclude> {
  const filter = { allowIPAddressList: [...options.allowedAddresses], allowPrivateIPAddress: false, allowMetaIPAddress: false };
  const secure = url.toLowerCase().startsWith('https:');
  const get = secure ? https.get : http.get;
  const agent = secure ? new RequestFilteringHttpsAgent(filter) : new RequestFilteringHttpAgent(filter);
  const within = deadline(options.timeoutMs, signal);
  return new Promise((resolve) => {
    let settled = false;
    let answered = false;
    const done = (answer: FetchedInclude) => {
      if (settled) return;
      settled = true;
      agent.destroy();
      resolve(answer);
    };
    // One wording whichever side notices first: before the status line the server never answered,
    // after it the body did not all arrive.
    const fail = (error?: unknown) => {
      if (!answered) return done({ error: `${url} could not be fetched: ${within.aborted ? abortReason(within, options.timeoutMs) : message(error)}` });
      const why = within.aborted ? abortReason(within, options.timeoutMs).replace(/^no answer/, 'not all of it arrived') : message(error ?? 'the connection closed early');
      done({ error: `${url} could not be read: ${why}` });
    };
    const request = get(url, { agent, signal: within, headers: { accept: 'application/yaml, text/plain, */*' } }, (response) => {
      answered = true;
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        response.resume();
        const moved = status >= 300 && status < 400 ? `: Slipway does not follow redirects for includes, so name the final URL${response.headers.location ? ` (${response.headers.location})` : ''}` : '';
        done({ error: `${url} answered ${status}${moved}` });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_INCLUDED_FILE_BYTES) {
          done({ error: `${url} is larger than the ${MAX_INCLUDED_FILE_BYTES} bytes an included file may be` });
          response.destroy();
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => done({ text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', fail);
      response.on('aborted', () => fail());
    });
    request.on('error', fail);
  });
}

/**
 * What `include:project` and `include:remote` bring, for one pipeline. Slipway reads other
 * projects with its own forge credentials, which may see more than the person who pushed: so it
 * reads only public projects, the pipeline's own, and those its policy lists.
 */
export function createIncludeFetcher(options: IncludeFetchOptions): FetchInclude {
  return async (request: IncludeRequest) => {
    if (request.kind === 'remote') return fetchRemote(request.url, options.remote, options.signal);
    const within = deadline(FORGE_INCLUDE_TIMEOUT_MS, options.signal);
    const why = (error: unknown) => (within.aborted ? abortReason(within, FORGE_INCLUDE_TIMEOUT_MS) : message(error));
    if (request.kind === 'changes') {
      try {
        return { text: (await options.forge.changedFiles(options.target, request.base, options.sha, within)).join('\n') };
      } catch (error) {
        return { error: why(error) };
      }
    }
    const where = `${request.project}${request.ref ? `@${request.ref}` : ''}`;
    try {
      const file = await options.forge.readProjectFile(options.target, request.project, request.ref, request.file, within);
      const trusted = file.isPublic || request.project === options.target.project || options.includeProjects.includes(request.project);
      if (!trusted) {
        return { error: `${request.project} is private: list it under includeProjects for ${options.target.project} in SLIPWAY_CONFIG to let its pipelines include from it` };
      }
      return { text: file.text };
    } catch (error) {
      if (within.aborted) return { error: `${where} file ${request.file} could not be read: ${why(error)}` };
      return { error: `${where} has no file ${request.file} that Slipway can read (${message(error)})` };
    }
  };
}

/**
 * What `slipway run` may include: remote files, as the server fetches them; no other project
 * and no comparison, since no forge stands behind a local checkout.
 */
export function createLocalIncludeFetcher(remote: IncludeFetchOptions['remote']): FetchInclude {
  return async (request) =>
    request.kind === 'remote'
      ? fetchRemote(request.url, remote)
      : request.kind === 'changes'
        ? { error: 'slipway run has no forge to compare with' }
        : { error: 'slipway run reads no other project: copy the file into the repository, or let the Slipway server run this pipeline' };
}
