import { refuse, type Checked } from '../model/refusal.js';
import type { Deployment } from '../model/deployment.js';
import { audit, groupsOf, time, type DeployContext } from './deploy-context.js';
import { mayApprove } from './deploy-policy.js';
import { environmentOf } from './resolve-environment.js';

/**
 * An Approve or Reject click. Only an approver decides; the requester may only withdraw. An
 * approval is recorded and announced; a runner claims it and carries it out.
 */
export async function decideDeploy(context: DeployContext, deploymentId: number, user: string, decision: 'approved' | 'rejected'): Promise<Checked<{ deployment: Deployment }>> {
  const { store } = context;
  const deployment = await store.get(deploymentId);
  if (!deployment) return refuse(`there is no deploy request #${deploymentId}`);
  const ref = environmentOf(context.policy, deployment.project, deployment.environment);
  if (!ref) return refuse(`${deployment.project} no longer has an environment called ${deployment.environment}`);
  const withdrawing = decision === 'rejected' && user === deployment.requestedBy;
  if (!withdrawing) {
    const allowed = mayApprove(deployment.environment, ref.policy, user, deployment.requestedBy, await groupsOf(context, user, ref), context.name);
    if (!allowed.ok) return allowed;
  }
  const decided = await store.decide(deploymentId, decision, user);
  if (!decided) {
    // Past its time, the runner's sweep may have ended it first: either way, it expired.
    const [expired] = await store.expireDue(deploymentId);
    if (expired) await context.events.emit({ type: 'changed', deployment: expired });
    const now = expired ?? (await store.get(deploymentId));
    if (now?.status === 'expired') return refuse(`this request expired at ${time(now.expiresAt)}; ask again with /deploy`);
    return refuse(`this request was already ${now?.status ?? 'decided'}${now?.decidedBy ? ` by ${context.name([now.decidedBy])}` : ''}`);
  }
  await audit(context, user, decision === 'approved' ? 'approved' : withdrawing ? 'withdrawn' : 'rejected', decided);
  await context.events.emit({ type: 'changed', deployment: decided });
  if (decision === 'approved') await context.events.emit({ type: 'approved', deployment: decided });
  return { ok: true, deployment: decided };
}
