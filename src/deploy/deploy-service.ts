import { ownEntry, type EnvironmentPolicy, type PolicyFile } from '../config/policy-file.js';
import type { Logger } from '../logger.js';
import { parseImageReference } from '../registry/image-reference.js';
import type { AuditEvent, Deployment, DeploymentStore, EnvironmentLock } from '../store/deployment-store.js';
import type { Pool } from '../store/pool.js';
import { isApprover, mayApprove, mayRequest, mention } from './deploy-policy.js';
import { findTestedCommit } from './find-tested-commit.js';

/** Who is in which Slack user group: the chat adapter knows, the service asks. */
export interface Directory {
  groupsOf(user: string, candidateGroups: string[]): Promise<Set<string>>;
}

export type Refused = { ok: false; reason: string };
export type Result<T> = ({ ok: true } & T) | Refused;

export interface EnvironmentRef {
  project: string;
  environment: string;
  policy: EnvironmentPolicy;
}

export interface EnvironmentStatus extends Omit<EnvironmentRef, 'policy'> {
  current: Deployment | null;
  lock: EnvironmentLock | null;
}

export interface DeployServiceOptions {
  pool: Pool;
  store: DeploymentStore;
  policy: PolicyFile;
  directory: Directory;
  logger: Logger;
  /** Told of every state a deployment reaches (Slack message, forge deployment status). */
  onChange?: (deployment: Deployment) => Promise<void> | void;
  /** An approval was recorded: a runner should claim it now rather than at its next poll. */
  onApproved?: (deployment: Deployment) => void;
}

const refuse = (reason: string): Refused => ({ ok: false, reason });

export function describeLock(environment: string, lock: EnvironmentLock): string {
  return `${environment} is locked by ${mention(lock.lockedBy)} since ${lock.lockedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${lock.reason}`;
}

/** Requests, approvals, locks and promotions: every rule of deploying, and nothing of Slack or Docker. */
export function createDeployService(options: DeployServiceOptions) {
  const { store, policy } = options;
  const notify = async (deployment: Deployment | null) => {
    if (!deployment) return;
    try {
      await options.onChange?.(deployment);
    } catch (error) {
      options.logger.warn({ err: error, deploymentId: deployment.id }, 'could not report a deployment change');
    }
  };
  const groupIds = (ref: EnvironmentRef) => [...(ref.policy.requesters ?? []), ...ref.policy.approvers].filter((id) => id.startsWith('S'));
  const groupsOf = (user: string, ref: EnvironmentRef) => {
    const candidates = groupIds(ref);
    return candidates.length === 0 ? Promise.resolve(new Set<string>()) : options.directory.groupsOf(user, candidates);
  };

  /** `prod`, or `group/app:prod` when several projects have a `prod`. */
  function resolveEnvironment(spec: string): Result<{ ref: EnvironmentRef }> {
    const colon = spec.lastIndexOf(':');
    const [projectName, environment] = colon > 0 ? [spec.slice(0, colon), spec.slice(colon + 1)] : [undefined, spec];
    const matches = Object.entries(policy.projects)
      .filter(([name, project]) => (projectName === undefined || name === projectName) && ownEntry(project.environments, environment))
      .map(([name, project]) => ({ project: name, environment, policy: ownEntry(project.environments, environment)! }));
    if (matches.length === 1) return { ok: true, ref: matches[0]! };
    if (matches.length > 1) return refuse(`several projects have an environment called ${environment}: say which, as ${matches.map((match) => `${match.project}:${environment}`).join(' or ')}`);
    const known = Object.entries(policy.projects).flatMap(([name, project]) => Object.keys(project.environments).map((env) => `${name}:${env}`));
    return refuse(`there is no environment called ${spec}${known.length ? `; known: ${known.join(', ')}` : '; none is configured in SLIPWAY_CONFIG'}`);
  }

  async function checkRequester(user: string, ref: EnvironmentRef): Promise<Refused | undefined> {
    const decision = mayRequest(ref.environment, ref.policy, user, await groupsOf(user, ref));
    if (!decision.allowed) return refuse(decision.reason);
    const lock = await store.getLock(ref.project, ref.environment);
    if (lock) return refuse(describeLock(ref.environment, lock));
    return undefined;
  }

  async function audit(actor: string, action: string, deployment: Deployment, detail: Record<string, unknown> = {}) {
    await store.audit({ actor, action, project: deployment.project, environment: deployment.environment, sha: deployment.sha, digest: deployment.digest, deploymentId: deployment.id, detail });
  }

  return {
    resolveEnvironment,

    /** `/deploy <sha> <env>`: checks everything, then records a request awaiting approval. */
    async request(user: string, shaPrefix: string, environment: string): Promise<Result<{ deployment: Deployment; approvers: string[] }>> {
      const resolved = resolveEnvironment(environment);
      const projects = resolved.ok
        ? [resolved.ref.project]
        : Object.entries(policy.projects).filter(([, project]) => ownEntry(project.environments, environment)).map(([name]) => name);
      if (projects.length === 0 && !resolved.ok) return resolved;
      const environmentName = resolved.ok ? resolved.ref.environment : environment;
      const found = await findTestedCommit(options.pool, shaPrefix.toLowerCase(), projects);
      if (!found.found) return refuse(found.reason);
      const { commit } = found;
      const projectPolicy = ownEntry(policy.projects, commit.project)!;
      const envPolicy = ownEntry(projectPolicy.environments, environmentName);
      if (!envPolicy) return refuse(`${commit.project} has no environment called ${environmentName}`);
      const ref = { project: commit.project, environment: environmentName, policy: envPolicy };
      const refusal = await checkRequester(user, ref);
      if (refusal) return refusal;
      const deployment = await store.create({
        project: commit.project,
        environment: environmentName,
        kind: 'deploy',
        sha: commit.sha,
        pipelineId: commit.pipelineId,
        imageRef: commit.imageRef,
        digest: commit.digest,
        requestedBy: user,
        expiresInSeconds: envPolicy.approvalTimeout,
      });
      await audit(user, 'requested', deployment);
      return { ok: true, deployment, approvers: envPolicy.approvers };
    },

    /** `/deploy rollback <env>`: asks to return the environment to the digest it had before its current deployment. */
    async rollback(user: string, environment: string): Promise<Result<{ deployment: Deployment; approvers: string[] }>> {
      const resolved = resolveEnvironment(environment);
      if (!resolved.ok) return resolved;
      const { ref } = resolved;
      const current = await store.lastSucceeded(ref.project, ref.environment);
      if (!current) return refuse(`nothing has been deployed to ${ref.environment} yet, so there is nothing to roll back`);
      // Only a digest a deploy confirmed is a rollback target, never what the tag held before.
      const target = await store.previousConfirmedDigest(ref.project, ref.environment, current.digest);
      if (!target) return refuse(`${current.sha.slice(0, 12)} is the only image ever deployed to ${ref.environment}: there is no earlier one to roll back to`);
      const refusal = await checkRequester(user, ref);
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
      });
      await audit(user, 'rollback requested', deployment, { from: current.digest });
      return { ok: true, deployment, approvers: ref.policy.approvers };
    },

    /** Where the request's chat message is, so later states can update it in place. */
    async recordMessage(deploymentId: number, channel: string, ts: string): Promise<void> {
      await store.setMessage(deploymentId, channel, ts);
    },

    /** An Approve or Reject click. Only an approver decides; the requester may only withdraw. */
    async decide(deploymentId: number, user: string, decision: 'approved' | 'rejected'): Promise<Result<{ deployment: Deployment }>> {
      const deployment = await store.get(deploymentId);
      if (!deployment) return refuse(`there is no deploy request #${deploymentId}`);
      const ref = resolveEnvironment(`${deployment.project}:${deployment.environment}`);
      if (!ref.ok) return ref;
      const withdrawing = decision === 'rejected' && user === deployment.requestedBy;
      if (!withdrawing) {
        const allowed = mayApprove(deployment.environment, ref.ref.policy, user, deployment.requestedBy, await groupsOf(user, ref.ref));
        if (!allowed.allowed) return refuse(allowed.reason);
      }
      const decided = await store.decide(deploymentId, decision, user);
      if (!decided) {
        const expired = await store.expireIfDue(deploymentId);
        if (expired) {
          await audit('slipway', 'expired', expired);
          await notify(expired);
          return refuse(`this request expired at ${expired.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC; ask again with /deploy`);
        }
        const now = await store.get(deploymentId);
        return refuse(`this request was already ${now?.status ?? 'decided'}${now?.decidedBy ? ` by ${mention(now.decidedBy)}` : ''}`);
      }
      await audit(user, decision === 'approved' ? 'approved' : withdrawing ? 'withdrawn' : 'rejected', decided);
      await notify(decided);
      if (decision === 'approved') options.onApproved?.(decided);
      return { ok: true, deployment: decided };
    },

    async lock(user: string, environment: string, reason: string): Promise<Result<{ ref: EnvironmentRef; message: string }>> {
      const resolved = resolveEnvironment(environment);
      if (!resolved.ok) return resolved;
      const { ref } = resolved;
      if (!reason.trim()) return refuse('say why: /deploy lock <env> <reason>');
      if (!isApprover(ref.policy, user, await groupsOf(user, ref))) return refuse(`only ${ref.environment}'s approvers may lock it`);
      const { locked, lock } = await store.lock(ref.project, ref.environment, user, reason.trim());
      if (!locked) return refuse(`${describeLock(ref.environment, lock)} already`);
      await store.audit({ actor: user, action: 'locked', project: ref.project, environment: ref.environment, detail: { reason: lock.reason } });
      return { ok: true, ref, message: `${ref.environment} is locked: ${lock.reason}. No deploys until /deploy unlock ${ref.environment}.` };
    },

    async unlock(user: string, environment: string): Promise<Result<{ ref: EnvironmentRef; message: string }>> {
      const resolved = resolveEnvironment(environment);
      if (!resolved.ok) return resolved;
      const { ref } = resolved;
      if (!isApprover(ref.policy, user, await groupsOf(user, ref))) return refuse(`only ${ref.environment}'s approvers may unlock it`);
      const removed = await store.unlock(ref.project, ref.environment);
      if (!removed) return refuse(`${ref.environment} is not locked`);
      await store.audit({ actor: user, action: 'unlocked', project: ref.project, environment: ref.environment, detail: { reason: removed.reason } });
      return { ok: true, ref, message: `${ref.environment} is unlocked.` };
    },

    async status(environment?: string): Promise<Result<{ environments: EnvironmentStatus[] }>> {
      let refs: EnvironmentRef[];
      if (environment) {
        const resolved = resolveEnvironment(environment);
        if (!resolved.ok) return resolved;
        refs = [resolved.ref];
      } else {
        refs = Object.entries(policy.projects).flatMap(([project, settings]) =>
          Object.entries(settings.environments).map(([env, envPolicy]) => ({ project, environment: env, policy: envPolicy })),
        );
      }
      const environments = [];
      for (const ref of refs) {
        environments.push({
          project: ref.project,
          environment: ref.environment,
          current: await store.lastSucceeded(ref.project, ref.environment),
          lock: await store.getLock(ref.project, ref.environment),
        });
      }
      return { ok: true, environments };
    },

    async history(environment: string): Promise<Result<{ ref: EnvironmentRef; events: AuditEvent[] }>> {
      const resolved = resolveEnvironment(environment);
      if (!resolved.ok) return resolved;
      return { ok: true, ref: resolved.ref, events: await store.history(resolved.ref.project, resolved.ref.environment) };
    },
  };
}

export type DeployService = ReturnType<typeof createDeployService>;
