import { Gitlab } from '@gitbeaker/rest';

const QUERY_TIMEOUT_MS = 120_000;

/**
 * GitLab's API as gitbeaker gives it: the adapter and the hook verifier share one client setup.
 * gitbeaker takes no signal per call, so a request Slipway stops waiting for ends by this timeout.
 */
export function connectGitlab(url: string, token: string, options: { perProjectArchiveTurns?: boolean } = {}) {
  // With turns kept per project by the caller, gitbeaker's limits (GitLab.com's, one queue per
  // endpoint for all projects together) would only hold a second project behind the first.
  return new Gitlab({ host: url, token, queryTimeout: QUERY_TIMEOUT_MS, ...(options.perProjectArchiveTurns ? { rateLimits: {} } : {}) });
}
