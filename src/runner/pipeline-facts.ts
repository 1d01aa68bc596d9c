import { forgeProtectedRefs } from '../model/ref-patterns.js';
import type { PipelineFacts } from '../model/pipeline-facts.js';
import type { ClaimedPipeline } from '../store/pipeline-queue.js';

/** A claimed pipeline's facts, with the registry this worker pushes to. */
export function factsOf(claimed: ClaimedPipeline, registry: string): PipelineFacts {
  return {
    id: String(claimed.id),
    forge: claimed.target.forge,
    project: claimed.target.project,
    sha: claimed.sha,
    ref: claimed.ref,
    defaultBranch: claimed.defaultBranch,
    changeRequest: claimed.changeRequest,
    fromFork: claimed.fromFork,
    registry,
    forgeProtectedRefs: forgeProtectedRefs(claimed.target.apiContext),
    ...(typeof claimed.target.apiContext.diffBase === 'string' ? { diffBase: claimed.target.apiContext.diffBase } : {}),
  };
}
