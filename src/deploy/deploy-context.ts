import type { PolicyFile } from '../config/policy-file.js';
import { refuse, type Checked, type Refusal } from '../model/refusal.js';
import type { DeploymentStore } from '../store/deployment-store.js';
import type { Deployment, DeploymentBriefing, EnvironmentLock } from '../model/deployment.js';
import type { TestedCommitStore } from '../store/tested-commit-store.js';
import type { DeployEvents } from './deploy-events.js';
import { groupIdsOf, mayRequest, type NamePeople } from './deploy-policy.js';
import type { EnvironmentRef } from './resolve-environment.js';

/** Who is in which user group: the chat adapter knows, deploy commands ask. */
export interface Directory {
  groupsOf(user: string, candidateGroups: string[]): Promise<Set<string>>;
}

/**
 * The commit and its links as the forge and the web UI know them, for the approver; gathered
 * by the service (the deploy commands know no forge). Answers within a second or two and never
 * fails: whatever it cannot learn in time is left out.
 */
export type DescribeCommit = (request: { sha: string; pipelineId: number | null; currentSha: string | null; rollback: boolean }) => Promise<Pick<DeploymentBriefing, 'commit' | 'pipelineUrl' | 'changeRequest' | 'compareUrl'>>;

/**
 * Whether the image about to go out carries Slipway's signed provenance, and that it says the
 * image was built for this project by the pipeline that tested it, on a protected ref the
 * environment's `branches` allow. The service checks it with the registry; deploy commands ask.
 */
export type VerifyImage = (image: { project: string; pipelineId: number | null; imageRef: string; digest: string; branches: readonly string[] | undefined }) => Promise<Checked<{ summary: string }>>;

/** What every deploy command works with. */
export interface DeployContext {
  store: DeploymentStore;
  testedCommits: TestedCommitStore;
  policy: PolicyFile;
  directory: Directory;
  events: DeployEvents;
  /** How refusals name people; chat supplies it. */
  name: NamePeople;
  describeCommit?: DescribeCommit;
  verifyImage?: VerifyImage;
}

export const time = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export function describeLock(environment: string, lock: EnvironmentLock, name: NamePeople): string {
  return `${environment} is locked by ${name([lock.lockedBy])} since ${time(lock.lockedAt)}${lock.expiresAt ? ` until ${time(lock.expiresAt)}` : ''}: ${lock.reason}`;
}

/** The groups (of those the environment names) that `user` belongs to. */
export function groupsOf(context: DeployContext, user: string, ref: EnvironmentRef): Promise<Set<string>> {
  const candidates = groupIdsOf(ref.policy);
  return candidates.length === 0 ? Promise.resolve(new Set<string>()) : context.directory.groupsOf(user, candidates);
}

/** An audit row about one deployment: who did what to it, with its commit and digest. */
export async function auditDeployment(store: DeploymentStore, actor: string, action: string, deployment: Deployment, detail: Record<string, unknown> = {}): Promise<void> {
  await store.audit({ actor, action, project: deployment.project, environment: deployment.environment, sha: deployment.sha, digest: deployment.digest, deploymentId: deployment.id, detail });
}

export function audit(context: DeployContext, actor: string, action: string, deployment: Deployment, detail: Record<string, unknown> = {}): Promise<void> {
  return auditDeployment(context.store, actor, action, deployment, detail);
}

/** May `user` ask for a deploy to this environment now? (Rules, then locks.) */
export async function checkRequester(context: DeployContext, user: string, ref: EnvironmentRef): Promise<Refusal | undefined> {
  const decision = mayRequest(ref.environment, ref.policy, user, await groupsOf(context, user, ref), context.name);
  if (!decision.ok) return decision;
  const lock = await context.store.getLock(ref.project, ref.environment);
  return lock ? refuse(describeLock(ref.environment, lock, context.name)) : undefined;
}
