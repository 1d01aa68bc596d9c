import { jobsDeployingTo } from '../model/deployment.js';
import { refuse } from '../model/refusal.js';
import { briefRequest } from './brief-request.js';
import { audit, checkRequester, type DeployContext } from './deploy-context.js';
import type { Requested } from './request-deploy.js';
import { resolveEnvironment } from './resolve-environment.js';

/**
 * `/deploy stop <env>`: asks to run the stop job of the commit the environment runs (a job with
 * `environment: {name: <env>, action: stop}` in that commit's pipeline file, as GitLab's Stop
 * button runs the last deployment's `on_stop`). It asks for approval as a deploy does.
 */
export async function requestStop(context: DeployContext, user: string, spec: string): Promise<Requested> {
  const resolved = resolveEnvironment(context.policy, spec);
  if (!resolved.ok) return resolved;
  const { ref } = resolved;
  const current = await context.store.lastSucceeded(ref.project, ref.environment);
  if (!current) return refuse(`nothing has been deployed to ${ref.environment} yet, so there is nothing to stop`);
  if (current.kind === 'stop') return refuse(`${ref.environment} was already stopped (request #${current.id}): deploy a commit to start it again`);
  const stopJobs = current.pipelineId === null ? [] : jobsDeployingTo(await context.testedCommits.heldJobs(current.pipelineId), ref.environment, 'stop').map((job) => job.name);
  if (stopJobs.length === 0) {
    return refuse(`the pipeline file of ${current.sha.slice(0, 12)}, which ${ref.environment} runs, has no job that stops it: add one with environment: {name: ${ref.environment}, action: stop}, and deploy that commit first`);
  }
  const refusal = await checkRequester(context, user, ref);
  if (refusal) return refusal;
  const deployment = await context.store.create({
    project: ref.project,
    environment: ref.environment,
    kind: 'stop',
    sha: current.sha,
    pipelineId: current.pipelineId,
    imageRef: current.imageRef,
    digest: current.digest,
    requestedBy: user,
    expiresInSeconds: ref.policy.approvalTimeout,
    briefing: await briefRequest(context, ref, { sha: current.sha, pipelineId: current.pipelineId, rollback: false }, current),
  });
  await audit(context, user, 'stop requested', deployment, { jobs: stopJobs });
  return { ok: true, deployment, approvers: ref.policy.approvers };
}
