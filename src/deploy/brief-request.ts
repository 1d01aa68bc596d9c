import type { Deployment, DeploymentBriefing } from '../model/deployment.js';
import type { DeployContext } from './deploy-context.js';
import type { EnvironmentRef } from './resolve-environment.js';

/**
 * What the approver should see with a request: the commit and its links, what runs in the
 * environment now, and the environment's own settings.
 */
export async function briefRequest(
  context: DeployContext,
  ref: EnvironmentRef,
  target: { sha: string; pipelineId: number | null; rollback: boolean },
  current: Deployment | null,
): Promise<DeploymentBriefing> {
  const currentSha = current && current.sha !== 'unknown' ? current.sha : null;
  const described = context.describeCommit && target.sha !== 'unknown' ? await context.describeCommit({ ...target, currentSha }) : {};
  return {
    ...described,
    current: current && { sha: current.sha, digest: current.digest, since: (current.finishedAt ?? current.requestedAt).toISOString(), approvedBy: current.decidedBy },
    ...(ref.policy.url ? { environmentUrl: ref.policy.url } : {}),
    ...(ref.policy.confirm ? { confirm: true } : {}),
    ...(ref.policy.channel ? { announce: ref.policy.channel } : {}),
  };
}
