import { refuse, type Checked } from '../model/refusal.js';
import type { Deployment } from '../store/deployment-store.js';
import { audit, checkRequester, type DeployContext } from './deploy-context.js';
import { matchesRef } from '../model/ref-patterns.js';
import { findTestedCommit, type TestedCommit } from './find-tested-commit.js';
import { environmentOf, projectsWith, resolveEnvironment, type EnvironmentRef } from './resolve-environment.js';

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
  const { project, sha } = found.commit;
  const ref = environmentOf(context.policy, project, environmentName);
  if (!ref) return refuse(`${project} has no environment called ${environmentName}`);
  const refusal = await checkRequester(context, user, ref);
  if (refusal) return refusal;
  const chosen = await checkOrder(context, ref, found.commit);
  if (!chosen.ok) return chosen;
  const commit = chosen.pipeline;
  const deployment = await context.store.create({
    project,
    environment: ref.environment,
    kind: 'deploy',
    sha,
    pipelineId: commit.pipelineId,
    imageRef: commit.imageRef,
    digest: commit.digest,
    requestedBy: user,
    expiresInSeconds: ref.policy.approvalTimeout,
  });
  await audit(context, user, 'requested', deployment);
  return { ok: true, deployment, approvers: ref.policy.approvers };
}

/**
 * The environment's `branches` and `after` rules: the pipeline whose image goes there must have
 * passed on an allowed ref, and that image must have run in the environments named first.
 */
async function checkOrder(context: DeployContext, ref: EnvironmentRef, commit: TestedCommit): Promise<Checked<{ pipeline: TestedCommit['passed'][number] }>> {
  const short = commit.sha.slice(0, 12);
  const branches = ref.policy.branches;
  const pipeline = branches ? commit.passed.find((each) => matchesRef(each.ref, branches)) : commit.passed[0];
  if (!pipeline) {
    const where = [...new Set(commit.passed.map((each) => each.ref))].join(', ');
    return refuse(`${ref.environment} takes only commits whose pipeline passed on ${branches!.join(' or ')} (branches in SLIPWAY_CONFIG), and ${short} passed on ${where}: deploy it once a pipeline for it passes there`);
  }
  for (const before of ref.policy.after ?? []) {
    if (!(await context.testedCommits.deployedTo(ref.project, before, pipeline.digest))) {
      return refuse(`${ref.environment} comes after ${before} (after in SLIPWAY_CONFIG), and ${short} (${pipeline.digest.slice(0, 19)}…) has not been deployed to ${before}: deploy it there first`);
    }
  }
  return { ok: true, pipeline };
}
