import { Gitlab } from '@gitbeaker/rest';

const QUERY_TIMEOUT_MS = 120_000;

/**
 * GitLab's API as gitbeaker gives it: the adapter and the hook verifier share one client setup.
 * gitbeaker takes no signal per call, so a request Slipway stops waiting for ends by this timeout.
 */
export function connectGitlab(url: string, token: string) {
  return new Gitlab({ host: url, token, queryTimeout: QUERY_TIMEOUT_MS });
}
