import type { Checked } from '../model/refusal.js';
import type { AuditEvent, Deployment, EnvironmentLock } from '../model/deployment.js';
import type { DeployContext } from './deploy-context.js';
import { allEnvironments, resolveEnvironment, type EnvironmentRef } from './resolve-environment.js';

export interface EnvironmentStatus {
  project: string;
  environment: string;
  current: Deployment | null;
  lock: EnvironmentLock | null;
}

/** `/deploy status [env]`: what runs where, and locks. */
export async function environmentStatus(context: DeployContext, spec?: string): Promise<Checked<{ environments: EnvironmentStatus[] }>> {
  let refs: EnvironmentRef[];
  if (spec) {
    const resolved = resolveEnvironment(context.policy, spec);
    if (!resolved.ok) return resolved;
    refs = [resolved.ref];
  } else {
    refs = allEnvironments(context.policy);
  }
  const environments: EnvironmentStatus[] = [];
  for (const ref of refs) {
    environments.push({
      project: ref.project,
      environment: ref.environment,
      current: await context.store.lastSucceeded(ref.project, ref.environment),
      lock: await context.store.getLock(ref.project, ref.environment),
    });
  }
  return { ok: true, environments };
}

/** `/deploy history <env>`: the audit trail, newest first. */
export async function environmentHistory(context: DeployContext, spec: string): Promise<Checked<{ ref: EnvironmentRef; events: AuditEvent[] }>> {
  const resolved = resolveEnvironment(context.policy, spec);
  if (!resolved.ok) return resolved;
  return { ok: true, ref: resolved.ref, events: await context.store.history(resolved.ref.project, resolved.ref.environment) };
}
