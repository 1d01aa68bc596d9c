import { refuse, type Checked } from '../model/refusal.js';
import type { Deployment } from '../store/deployment-store.js';
import { audit, checkRequester, type DeployContext } from './deploy-context.js';
import { findTestedCommit } from './find-tested-commit.js';
import { environmentOf, projectsWith, resolveEnvironment } from './resolve-environment.js';

export type Requested = Checked<{ deployment: Deployment; approvers: string[] }>;

/** `/deploy <sha> <env>`: checks everything, then records a request awaiting approval. */
export async function requestDeploy(context: DeployContext, user: string, shaPrefix: string, spec: string): Promise<Requested> {
  const resolved = resolveEnvironment(context.policy, spec);
  // Where several projects have the environment, the commit decides which one is meant.
  const projects = resolved.ok ? [resolved.ref.project] : projectsWith(context.policy, spec);
  if (projects.length === 0 && !resolved.ok) return resolved;
  const environmentName = resolved.ok ? resolved.ref.environment : spec;
  const found = await findTestedCommit(context.testedCommits, shaPrefix.toLowerCase(), projects);
  if (!found.ok) return found;
  const { commit } = found;
  const ref = environmentOf(context.policy, commit.project, environmentName);
  if (!ref) return refuse(`${commit.project} has no environment called ${environmentName}`);
  const refusal = await checkRequester(context, user, ref);
  if (refusal) return refusal;
  const deployment = await context.store.create({
    project: commit.project,
    environment: ref.environment,
    kind: 'deploy',
    sha: commit.sha,
    pipelineId: commit.pipelineId,
    imageRef: commit.imageRef,
    digest: commit.digest,
    requestedBy: user,
    expiresInSeconds: ref.policy.approvalTimeout,
  });
  await audit(context, user, 'requested', deployment);
  return { ok: true, deployment, approvers: ref.policy.approvers };
}
