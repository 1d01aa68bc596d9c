import { refuse, type Checked } from '../model/refusal.js';
import { describeLock, groupsOf, type DeployContext } from './deploy-context.js';
import { isApprover } from './deploy-policy.js';
import { resolveEnvironment, type EnvironmentRef } from './resolve-environment.js';

export type LockOutcome = Checked<{ ref: EnvironmentRef; message: string }>;

/** `/deploy lock <env> <reason>`: approvers only. */
export async function lockEnvironment(context: DeployContext, user: string, spec: string, reason: string): Promise<LockOutcome> {
  const resolved = resolveEnvironment(context.policy, spec);
  if (!resolved.ok) return resolved;
  const { ref } = resolved;
  if (!reason.trim()) return refuse('say why: /deploy lock <env> <reason>');
  if (!isApprover(ref.policy, user, await groupsOf(context, user, ref))) return refuse(`only ${ref.environment}'s approvers may lock it`);
  const { locked, lock } = await context.store.lock(ref.project, ref.environment, user, reason.trim());
  if (!locked) return refuse(`${describeLock(ref.environment, lock, context.name)} already`);
  await context.store.audit({ actor: user, action: 'locked', project: ref.project, environment: ref.environment, detail: { reason: lock.reason } });
  return { ok: true, ref, message: `${ref.environment} is locked: ${lock.reason}. No deploys until /deploy unlock ${ref.environment}.` };
}

/** `/deploy unlock <env>`: approvers only. */
export async function unlockEnvironment(context: DeployContext, user: string, spec: string): Promise<LockOutcome> {
  const resolved = resolveEnvironment(context.policy, spec);
  if (!resolved.ok) return resolved;
  const { ref } = resolved;
  if (!isApprover(ref.policy, user, await groupsOf(context, user, ref))) return refuse(`only ${ref.environment}'s approvers may unlock it`);
  const removed = await context.store.unlock(ref.project, ref.environment);
  if (!removed) return refuse(`${ref.environment} is not locked`);
  await context.store.audit({ actor: user, action: 'unlocked', project: ref.project, environment: ref.environment, detail: { reason: removed.reason } });
  return { ok: true, ref, message: `${ref.environment} is unlocked.` };
}
