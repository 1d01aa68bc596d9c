import { GITLAB_CI_FILE } from './gitlab-ci/gitlab-ci-file.js';
import { IncludesNeeded, MAX_INCLUDES, requestKey, type FetchedInclude, type IncludeRequest } from './gitlab-ci/resolve-includes.js';
import { PipelineFileError } from './pipeline-file-error.js';
import type { PipelinePlan } from '../plan.js';

/** Fetches a project's or a URL's file for `include:`; a failure comes back as `{ error }`, never thrown. */
export type FetchInclude = (request: IncludeRequest) => Promise<FetchedInclude>;

export function describeRequest(request: IncludeRequest): string {
  if (request.kind === 'changes') return `of the files changed since ${request.base}`;
  return request.kind === 'remote' ? `remote ${request.url}` : `project ${request.project}${request.ref ? `@${request.ref}` : ''} file ${request.file}`;
}

/**
 * Reads a plan, fetching what its includes name from other projects and URLs between
 * readings: the reader stays pure (and on its thread), and each reading goes one level deeper
 * into the include tree, with GitLab's bound on how many files there may be.
 */
export async function readFetchingIncludes(read: (fetched: ReadonlyMap<string, FetchedInclude>) => Promise<PipelinePlan>, fetchInclude?: FetchInclude): Promise<PipelinePlan> {
  const fetched = new Map<string, FetchedInclude>();
  for (;;) {
    try {
      return await read(fetched);
    } catch (error) {
      if (!(error instanceof IncludesNeeded)) throw error;
      if (!fetchInclude) {
        throw new PipelineFileError(GITLAB_CI_FILE, error.requests.map((request) => `include ${describeRequest(request)} cannot be fetched here: only local includes can be read without a forge`));
      }
      if (fetched.size + error.requests.length > MAX_INCLUDES) throw new PipelineFileError(GITLAB_CI_FILE, [`include: names more than the ${MAX_INCLUDES} files a pipeline may include`]);
      const answers = await Promise.all(error.requests.map(async (request) => [requestKey(request), await fetchInclude(request)] as const));
      for (const [key, answer] of answers) fetched.set(key, answer);
    }
  }
}
