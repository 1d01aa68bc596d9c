import type { ForgeName } from './forge-event.js';

/**
 * What is known of a pipeline before it runs, in one shape for everyone: the engine (its `CI_*`
 * variables and image tags), the runner, `slipway run` and the store.
 */
export interface PipelineFacts {
  /** The pipeline's number as text (`local-…` for a run that is not recorded). */
  id: string;
  /** The forge the project lives on: a path names a project only together with it. */
  forge: ForgeName;
  /** `owner/repo` or `group/subgroup/project`. */
  project: string;
  sha: string;
  /** Branch name, without refs/heads/. */
  ref: string;
  /** None only for a `slipway run` not told it. */
  defaultBranch: string | null;
  /** The MR/PR the pipeline belongs to. */
  changeRequest: number | null;
  /** Code from a fork: no secrets, and no push unless the project allows it. */
  fromFork: boolean;
  /** Where images go (`host[:port]`). */
  registry: string;
  /** The forge's own protected branches (GitLab's settings), besides the server policy's `protectedRefs`. */
  forgeProtectedRefs: string[];
  /** What `rules:changes` compares with: a merge request's target branch, or the commit a push came after. */
  diffBase: string | null;
}

/** A pipeline's facts as the store keeps them: where its images go is the worker's setting. */
export type RecordedFacts = Omit<PipelineFacts, 'registry'>;
