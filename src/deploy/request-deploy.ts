import { refuse, type Checked, type Refusal } from '../model/refusal.js';
import { runningNow, type Deployment } from '../model/deployment.js';
import { briefRequest } from './brief-request.js';
import { audit, checkRequester, type DeployContext } from './deploy-context.js';
import { matchesRef } from '../model/ref-patterns.js';
import { findTestedCommit, type TestedCommit } from './find-tested-commit.js';
import { environmentOf, projectsWith, resolveEnvironment, type EnvironmentRef } from './resolve-environment.js';

export type Requested = Checked<{ deployment: Deployment; approvers: string[] }>;

/** What every check of a deploy request found: the environment, the commit, the pipeline whose image would go. */
type Checks = Checked<{ ref: EnvironmentRef; sha: string; pipeline: TestedCommit['passed'][number]; provenance?: string }>;

/** The checks of `/deploy <sha> <env>`, in order; the first that refuses says why. */
async function checkRequest(context: DeployContext, user: string, shaPrefix: string, spec: string): Promise<Checks> {
  const resolved = resolveEnvironment(context.policy, spec);
  // Where several projects have the environment, the commit decides which one is meant.
  const projects = resolved.ok ? [resolved.ref.project] : projectsWith(context.policy, spec);
  if (projects.length === 0 && !resolved.ok) {
    const anywhere = await findTestedCommit(context.testedCommits, shaPrefix.toLowerCase(), Object.keys(context.policy.projects)).catch(() => undefined);
    return withFileEnvironments(context, anywhere?.ok ? anywhere.commit : undefined, resolved);
  }
  const environmentName = resolved.ok ? resolved.ref.environment : spec;
  const found = await findTestedCommit(context.testedCommits, shaPrefix.toLowerCase(), projects);
  if (!found.ok) return found;
  const { project, sha } = found.commit;
  const ref = environmentOf(context.policy, project, environmentName);
  if (!ref) return withFileEnvironments(context, found.commit, refuse(`${project} has no environment called ${environmentName}`));
  const refusal = await checkRequester(context, user, ref);
  if (refusal) return refusal;
  const chosen = await checkOrder(context, ref, found.commit);
  if (!chosen.ok) return chosen;
  const signed = await context.verifyImage?.({ project, pipelineId: chosen.pipeline.pipelineId, imageRef: chosen.pipeline.imageRef, digest: chosen.pipeline.digest, branches: ref.policy.branches });
  if (signed && !signed.ok) return signed;
  return { ok: true, ref, sha, pipeline: chosen.pipeline, ...(signed ? { provenance: signed.summary } : {}) };
}

/**
 * An environment the policy does not have, refused: with the environments the commit's own
 * pipeline file names, when it names some, since only the policy's can be deployed to.
 */
async function withFileEnvironments(context: DeployContext, commit: TestedCommit | undefined, refusal: Refusal): Promise<Refusal> {
  if (!commit) return refusal;
  const named = await context.testedCommits.fileEnvironments(commit.pipelineId);
  if (named.length === 0) return refusal;
  return refuse(`${refusal.reason}; the pipeline file of ${commit.sha.slice(0, 12)} names ${named.join(', ')}, but only environments in SLIPWAY_CONFIG can be deployed to: ask an operator to add it there`);
}

/** `/deploy <sha> <env>`: checks everything, then records a request awaiting approval. */
export async function requestDeploy(context: DeployContext, user: string, shaPrefix: string, spec: string): Promise<Requested> {
  const checked = await checkRequest(context, user, shaPrefix, spec);
  if (!checked.ok) return checked;
  const { ref, sha, pipeline } = checked;
  const current = runningNow(await context.store.lastSucceeded(ref.project, ref.environment));
  const deployment = await context.store.create({
    project: ref.project,
    environment: ref.environment,
    kind: 'deploy',
    sha,
    pipelineId: pipeline.pipelineId,
    imageRef: pipeline.imageRef,
    digest: pipeline.digest,
    requestedBy: user,
    expiresInSeconds: ref.policy.approvalTimeout,
    briefing: { ...(await briefRequest(context, ref, { sha, pipelineId: pipeline.pipelineId, rollback: false }, current)), ...(checked.provenance ? { provenance: checked.provenance } : {}) },
  });
  await audit(context, user, 'requested', deployment);
  return { ok: true, deployment, approvers: ref.policy.approvers };
}

/**
 * `/deploy <sha> <env> dry-run`: every check, and what would change, recording nothing. Its
 * text names people as the chat does.
 */
export async function dryRunDeploy(context: DeployContext, user: string, shaPrefix: string, spec: string): Promise<Checked<{ message: string }>> {
  const checked = await checkRequest(context, user, shaPrefix, spec);
  if (!checked.ok) return checked;
  const { ref, sha, pipeline } = checked;
  const current = runningNow(await context.store.lastSucceeded(ref.project, ref.environment));
  const rules = [
    `pipeline #${pipeline.pipelineId} passed on ${pipeline.ref}${ref.policy.branches ? ` (branches: ${ref.policy.branches.join(', ')})` : ''}`,
    ...(checked.provenance ? [`the image was ${checked.provenance}`] : []),
    ...(ref.policy.after ?? []).map((before) => `already deployed to ${before}`),
    'you may ask',
    `${ref.environment} is not locked`,
  ];
  const now = current ? `it runs \`${current.sha.slice(0, 12)}\` (\`${current.digest.slice(0, 19)}…\`) now` : 'nothing runs there';
  return {
    ok: true,
    message: `Dry run, nothing recorded: ${context.name(ref.policy.approvers)} would be asked to approve ${sha.slice(0, 12)} (\`${pipeline.digest.slice(0, 19)}…\`) of *${ref.project}* for *${ref.environment}*; ${now}. Checks passed: ${rules.join('; ')}.`,
  };
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
