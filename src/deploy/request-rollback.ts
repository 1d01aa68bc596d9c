import { refuse } from '../model/refusal.js';
import { parseImageReference } from '../registry/image-reference.js';
import { briefRequest } from './brief-request.js';
import { audit, checkRequester, type DeployContext } from './deploy-context.js';
import type { Requested } from './request-deploy.js';
import { resolveEnvironment } from './resolve-environment.js';

/** `/deploy rollback <env>`: asks to return the environment to the digest its previous successful deploy confirmed. */
export async function requestRollback(context: DeployContext, user: string, spec: string): Promise<Requested> {
  const resolved = resolveEnvironment(context.policy, spec);
  if (!resolved.ok) return resolved;
  const { ref } = resolved;
  const { store } = context;
  const current = await store.lastSucceeded(ref.project, ref.environment);
  if (!current) return refuse(`nothing has been deployed to ${ref.environment} yet, so there is nothing to roll back`);
  if (current.kind === 'stop') return refuse(`${ref.environment} was stopped (request #${current.id}), so nothing runs there to roll back: deploy the commit you want with /deploy <sha> ${ref.environment}`);
  // Only a digest a deploy confirmed is a rollback target, never what the tag held before.
  const target = await store.previousConfirmedDigest(ref.project, ref.environment, current.digest);
  if (!target) return refuse(`${current.sha.slice(0, 12)} is the only image ever deployed to ${ref.environment}: there is no earlier one to roll back to`);
  const refusal = await checkRequester(context, user, ref);
  if (refusal) return refusal;
  const origin = await store.shaOfDigest(ref.project, target);
  const image = parseImageReference(current.imageRef);
  const deployment = await store.create({
    project: ref.project,
    environment: ref.environment,
    kind: 'rollback',
    sha: origin?.sha ?? 'unknown',
    pipelineId: origin?.pipelineId ?? null,
    imageRef: `${image.registry}/${image.repository}@${target}`,
    digest: target,
    requestedBy: user,
    expiresInSeconds: ref.policy.approvalTimeout,
    briefing: await briefRequest(context, ref, { sha: origin?.sha ?? 'unknown', pipelineId: origin?.pipelineId ?? null, rollback: true }, current),
  });
  await audit(context, user, 'rollback requested', deployment, { from: current.digest });
  return { ok: true, deployment, approvers: ref.policy.approvers };
}
