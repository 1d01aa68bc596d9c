// A deployment as every part of Slipway speaks of it: requested in chat, decided, carried out, reported.

import type { CiVariable } from './ci-variable.js';

export type DeploymentStatus = 'requested' | 'approved' | 'rejected' | 'expired' | 'deploying' | 'succeeded' | 'failed' | 'withdrawn';

/**
 * What the approver is shown besides the request itself, gathered once when it is made: every
 * later update of the message shows the same facts. Links are absent where nothing knows them.
 */
export interface DeploymentBriefing {
  /** The commit going out, as its forge describes it (from a branch: hostile text). */
  commit?: { title: string; author: string; url?: string };
  pipelineUrl?: string;
  changeRequest?: { label: string; url: string };
  /** What ran in the environment when the request was made; null: nothing yet. */
  current?: { sha: string; digest: string; since: string; approvedBy: string | null } | null;
  /** The forge's diff from what runs now to what would. */
  compareUrl?: string;
  environmentUrl?: string;
  /** Approve asks "are you sure?" first (`confirm: true`). */
  confirm?: boolean;
  /** A chat channel told of the outcome, besides the one where it was asked. */
  announce?: string;
  /** What the image's signed provenance says: `built by pipeline #12 on main, signed`. */
  provenance?: string;
}

export interface Deployment {
  id: number;
  project: string;
  environment: string;
  /** `stop` runs the file's stop job for the environment (`environment:action: stop`) and moves no tag. */
  kind: 'deploy' | 'rollback' | 'stop';
  sha: string;
  pipelineId: number | null;
  imageRef: string;
  digest: string;
  previousDigest: string | null;
  /** Set once `previousDigest` was read from the registry, before the retag: a takeover must not read it again. */
  previousRecorded: boolean;
  /** When the environment tag was moved; null while it has not been. */
  promotedAt: Date | null;
  attempts: number;
  status: DeploymentStatus;
  requestedBy: string;
  decidedBy: string | null;
  error: string | null;
  chatChannel: string | null;
  chatMessageTs: string | null;
  requestedAt: Date;
  expiresAt: Date;
  finishedAt: Date | null;
  briefing: DeploymentBriefing;
  /** The pipeline that runs the file's deploy jobs for it, once queued; null when the deploy runs none. */
  jobPipelineId: number | null;
}

export interface EnvironmentLock {
  lockedBy: string;
  reason: string;
  lockedAt: Date;
  /** When it ends by itself; null: when someone unlocks it. */
  expiresAt: Date | null;
}

export interface AuditEvent {
  at: Date;
  actor: string;
  action: string;
  sha: string | null;
  digest: string | null;
  deploymentId: number | null;
  detail: Record<string, unknown>;
}

/** A job of a pipeline file that waits for `/deploy`, with the environment it names, if any. */
export interface HeldJob {
  name: string;
  environment?: { name: string; action: string } | undefined;
}

/** What a deploy job does to its environment: start (deploy) it, or stop it. */
export type EnvironmentAction = 'start' | 'stop';

/**
 * The held jobs that deploy to `environment`, in the pipeline's order: those naming it (to start
 * it), or else, when none does, those that name no environment (a deploy stage serving any).
 * Stopping it takes the jobs that name it with `action: stop`, and only those.
 */
export function jobsDeployingTo<T extends HeldJob>(held: readonly T[], environment: string, action: EnvironmentAction = 'start'): T[] {
  const named = held.filter((job) => job.environment?.name === environment && job.environment.action === action);
  return named.length > 0 || action === 'stop' ? named : held.filter((job) => job.environment === undefined);
}

/** What runs in an environment now, given its last finished deployment: nothing once it was stopped. */
export function runningNow(last: Deployment | null): Deployment | null {
  return last && last.kind !== 'stop' ? last : null;
}

/** What an approved deployment gives the deploy jobs it runs. */
export interface DeployJobContext {
  environment: string;
  /** `start` runs the jobs that deploy there; `stop`, those that stop it. */
  action: EnvironmentAction;
  /** `registry/repository@sha256:…`: the image just promoted. */
  image: string;
  digest: string;
  /** The policy's URL for the environment, over the file's `environment:url`. */
  url?: string;
  /** The environment's own CI/CD variables (protected ones only for a commit tested on a protected ref). */
  variables: CiVariable[];
  deploymentId: number;
}
