import { RateLimiterMemory, RateLimiterQueue } from 'rate-limiter-flexible';

/** GitLab's own limit on repository archives (ApplicationRateLimiter `project_repositories_archive`). */
export const GITLAB_ARCHIVES_PER_MINUTE = 5;

/**
 * Turns for downloading a project's archive: GitLab allows five a minute per project and user,
 * so a project that pushes often waits for its own turn while other projects' sources come at
 * once. (gitbeaker's built-in limiter holds every project to five a minute together.)
 */
export function archiveTurns(perWindow = GITLAB_ARCHIVES_PER_MINUTE, windowSeconds = 60): (projectId: number) => Promise<unknown> {
  const queue = new RateLimiterQueue(new RateLimiterMemory({ points: perWindow, duration: windowSeconds }), { maxQueueSize: 10_000 });
  return (projectId) => queue.removeTokens(1, String(projectId));
}
