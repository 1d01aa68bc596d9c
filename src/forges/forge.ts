import type { ArchiveLimits, ArchiveNotes } from './extract-archive.js';

/** Forge-neutral shapes: nothing outside src/forges/ knows GitHub from GitLab beyond this file. */

export type ForgeName = 'github' | 'gitlab';

/** Where a pipeline came from, kept with the pipeline so any worker can report back. */
export interface ForgeTarget {
  forge: ForgeName;
  /** `owner/repo` or `group/subgroup/project`. */
  project: string;
  /** What the forge API needs to address the project: GitHub installation id, GitLab project id. */
  apiContext: Record<string, string | number>;
}

/** A push or a merge/pull request change, parsed from a webhook. */
export interface ForgeEvent {
  target: ForgeTarget;
  deliveryId: string;
  event: string;
  /** `run` starts a pipeline; `cancel` stops those of the change request (closed, merged). */
  action: 'run' | 'cancel';
  sha: string;
  /** Branch name, without refs/heads/. */
  ref: string;
  defaultBranch: string;
  changeRequest?: number;
  /** Code from a fork: tests run without secrets, and nothing is pushed unless the project allows it. */
  fromFork: boolean;
}

export type CommitState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

export interface CommitStatus {
  state: CommitState;
  description: string;
  targetUrl: string;
}

/** A deploy of a commit to an environment, as the forge should show it. */
export interface DeploymentReport {
  sha: string;
  environment: string;
  state: 'in_progress' | 'success' | 'failure';
  description: string;
  /** The change request the commit was tested on, if any: it hears of the deploy too. */
  changeRequest: number | null;
}

/** What the service needs from a forge once an event is accepted. */
export interface Forge {
  readonly name: ForgeName;
  /** Longest comment body the forge accepts. */
  readonly maxCommentLength: number;
  /**
   * Writes the repository at `sha` into `destDir` (which exists and is empty), within
   * `limits`; returns what was left out (links out of the tree, devices), for the pipeline's notes.
   */
  fetchSource(target: ForgeTarget, sha: string, destDir: string, limits: ArchiveLimits): Promise<ArchiveNotes>;
  setCommitStatus(target: ForgeTarget, sha: string, status: CommitStatus): Promise<void>;
  /**
   * Creates Slipway's one comment on the change request, or edits it in place: it is found
   * again by `marker`, which the body must contain.
   */
  upsertComment(target: ForgeTarget, changeRequest: number, marker: string, body: string): Promise<void>;
  /** GitHub: a deployment and its statuses; GitLab: a `slipway/deploy/<env>` commit status and an MR note. */
  reportDeployment(target: ForgeTarget, report: DeploymentReport): Promise<void>;
}
