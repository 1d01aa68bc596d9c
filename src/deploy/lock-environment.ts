import { refuse, type Checked } from '../model/refusal.js';
import { describeLock, groupsOf, time, type DeployContext } from './deploy-context.js';
import { isApprover } from './deploy-policy.js';
import { resolveEnvironment, type EnvironmentRef } from './resolve-environment.js';

export type LockOutcome = Checked<{ ref: EnvironmentRef; message: string }>;

/** `/deploy lock <env> <reason> [for 2h]`: approvers only. */
export async function lockEnvironment(context: DeployContext, user: string, spec: string, reason: string, forSeconds: number | null = null): Promise<LockOutcome> {
  const resolved = resolveEnvironment(context.policy, spec);
  if (!resolved.ok) return resolved;
  const { ref } = resolved;
  if (!reason.trim()) return refuse('say why: /deploy lock <env> <reason>');
  if (!isApprover(ref.policy, user, await groupsOf(context, user, ref))) return refuse(`only ${ref.environment}'s approvers may lock it`);
  const { locked, lock } = await context.store.lock(ref.project, ref.environment, user, reason.trim(), forSeconds);
  if (!locked) return refuse(`${describeLock(ref.environment, lock, context.name)} already`);
  await context.store.audit({ actor: user, action: 'locked', project: ref.project, environment: ref.environment, detail: { reason: lock.reason, ...(lock.expiresAt ? { until: lock.expiresAt.toISOString() } : {}) } });
  const until = lock.expiresAt ? `until ${time(lock.expiresAt)} or /deploy unlock ${ref.environment}` : `until /deploy unlock ${ref.environment}`;
  return { ok: true, ref, message: `${ref.environment} is locked: ${lock.reason}. No deploys ${until}.` };
}

/** `/deploy unlock <env>`: approvers, or whoever holds the lock. */
export async function unlockEnvironment(context: DeployContext, user: string, spec: string): Promise<LockOutcome> {
  const resolved = resolveEnvironment(context.policy, spec);
  if (!resolved.ok) return resolved;
  const { ref } = resolved;
  const lock = await context.store.getLock(ref.project, ref.environment);
  if (!lock) return refuse(`${ref.environment} is not locked`);
  if (lock.lockedBy !== user && !isApprover(ref.policy, user, await groupsOf(context, user, ref))) {
    return refuse(`only ${ref.environment}'s approvers, or ${context.name([lock.lockedBy])} who locked it, may unlock it`);
  }
  const removed = await context.store.unlock(ref.project, ref.environment);
  if (!removed) return refuse(`${ref.environment} is not locked`);
  await context.store.audit({ actor: user, action: 'unlocked', project: ref.project, environment: ref.environment, detail: { reason: removed.reason } });
  return { ok: true, ref, message: `${ref.environment} is unlocked.` };
}
