/** Forge-neutral shapes: nothing outside src/forges/ knows GitHub from GitLab. */

/** `local` is a pipeline of `slipway run`: it has no forge to report to (the null forge). */
export type ForgeName = 'github' | 'gitlab' | 'local';

/** A project as Slipway knows it: a path names a project only together with its forge. */
export interface ProjectKey {
  forge: ForgeName;
  project: string;
}

/** Where a pipeline came from, kept with the pipeline so any worker can report back. */
export interface ForgeTarget {
  forge: ForgeName;
  /** `owner/repo` or `group/subgroup/project`. */
  project: string;
  /** What the forge API needs to address the project: GitHub installation id, GitLab project id. */
  apiContext: Record<string, string | number>;
}

/** What a person may do with a project, as its forge decides: see it, or also change it (retry, cancel). */
export type ForgeAccess = 'none' | 'read' | 'write';

/**
 * A person asking Slipway to retry or cancel: `/slipway retry` in a merge/pull request
 * comment, or GitHub's "Re-run" on a check. Done only if the forge gives them write access.
 */
export interface ForgeCommand {
  target: ForgeTarget;
  deliveryId: string;
  /** `help` for a `/slipway` word Slipway does not know. */
  action: 'retry' | 'cancel' | 'play' | 'help';
  /** The job `play` names, as written. */
  job?: string;
  /** Who asked, as the forge names them. */
  by: { id: string; login: string };
  /** The change request it was asked on (comments), or the commit (checks). */
  changeRequest: number | null;
  sha: string | null;
  via: 'comment' | 'checks';
  /** The comment's id on its forge, so the comment can be read back from it (GitLab). */
  commentId?: number;
}

/** A push or a merge/pull request change, parsed from a webhook. */
export interface ForgeEvent {
  target: ForgeTarget;
  deliveryId: string;
  event: string;
  /** `run` starts a pipeline; `cancel` stops those of the change request (closed, merged) and the review apps of it, or of a deleted branch (no change request). */
  action: 'run' | 'cancel';
  sha: string;
  /** Branch name, without refs/heads/. */
  ref: string;
  defaultBranch: string;
  changeRequest: number | null;
  /** Code from a fork: tests run without secrets, and nothing is pushed unless the project allows it. */
  fromFork: boolean;
  /**
   * What `rules:changes` compares with: a merge request's target branch, or the commit a push
   * came after (none for a new branch).
   */
  diffBase: string | null;
}

export type CommitState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

export interface CommitStatus {
  state: CommitState;
  description: string;
  targetUrl: string;
  /** The same, per job, for forges that show checks (GitHub check runs). */
  checks: ChecksReport;
}

/** One check: the pipeline's or a job's. */
export interface CheckReport {
  name: string;
  /** `waiting`: a job that waits for a person, a clock, or a job that does. */
  state: CommitState | 'skipped' | 'waiting';
  title: string;
  /** Markdown. */
  summary: string;
}

/** A pipeline's checks; `pipelineId` tells a retried pipeline's checks from the earlier ones. */
export interface ChecksReport {
  pipelineId: number;
  pipeline: CheckReport;
  jobs: CheckReport[];
}

/** A deploy of a commit to an environment, as the forge should show it. */
export interface DeploymentReport {
  sha: string;
  environment: string;
  /** `inactive`: the environment was stopped (GitHub's deployment state; a canceled status on GitLab). */
  state: 'in_progress' | 'success' | 'failure' | 'inactive';
  description: string;
  /** The change request the commit was tested on, if any: it hears of the deploy too. */
  changeRequest: number | null;
  /** Where the environment is reached (`url` in SLIPWAY_CONFIG). */
  environmentUrl?: string;
  /** The pipeline that tested the image, on Slipway's web UI. */
  logUrl?: string;
}
