import type { ArchiveLimits, ArchiveNotes } from './extract-archive.js';
import type { CommitStatus, DeploymentReport, ForgeAccess, ForgeName, ForgeTarget } from '../model/forge-event.js';
import type { ForgeUser } from './forge-login.js';

/** What the service needs from a forge once an event is accepted. */
export interface Forge {
  readonly name: ForgeName;
  /** Longest comment body the forge accepts. */
  readonly maxCommentLength: number;
  /**
   * Writes the repository at `sha` into `destDir` (which exists and is empty), within
   * `limits`; returns what was left out (links out of the tree, devices), for the pipeline's notes.
   * `signal` ends the download (a deadline, or the pipeline's cancellation).
   */
  fetchSource(target: ForgeTarget, sha: string, destDir: string, limits: ArchiveLimits, signal?: AbortSignal): Promise<ArchiveNotes>;
  setCommitStatus(target: ForgeTarget, sha: string, status: CommitStatus): Promise<void>;
  /**
   * Creates Slipway's one comment on the change request, or edits it in place: it is found
   * again by `marker`, which the body must contain.
   */
  upsertComment(target: ForgeTarget, changeRequest: number, marker: string, body: string): Promise<void>;
  /**
   * A file of a project on this forge (`include:project`), read with the credentials `target`'s
   * events come with; `ref` absent means the project's default branch. `isPublic` says whether
   * anyone may read the project, which decides whether a pipeline may use it.
   */
  readProjectFile(target: ForgeTarget, project: string, ref: string | undefined, file: string, signal?: AbortSignal): Promise<{ text: string; isPublic: boolean }>;
  /** The paths a comparison of `base...head` changed (both sides of a rename), for `rules:changes`. */
  changedFiles(target: ForgeTarget, base: string, head: string, signal?: AbortSignal): Promise<string[]>;
  /**
   * What `user` may do with `target`'s project: read it (a member, or the project is visible
   * to anyone logged in) or write to it (GitHub push, GitLab Developer). Asked with Slipway's
   * own credentials.
   */
  accessOf(target: ForgeTarget, user: ForgeUser): Promise<ForgeAccess>;
  /** A commit's title (its message's first line) and author, for the people deciding whether to deploy it. */
  commitOf(target: ForgeTarget, sha: string): Promise<CommitSummary>;
  /** GitHub: a deployment and its statuses; GitLab: a `slipway/deploy/<env>` commit status and an MR note. */
  reportDeployment(target: ForgeTarget, report: DeploymentReport): Promise<void>;
}

export interface CommitSummary {
  title: string;
  /** The forge user's name where the forge knows them, otherwise the commit's author name. */
  author: string;
}

/** An included file may weigh what a pipeline file may: a forge's answer past that is refused, not read. */
export const MAX_INCLUDED_FILE_BYTES = 1024 * 1024;

export function limitedText(text: string, project: string, file: string): string {
  if (Buffer.byteLength(text) > MAX_INCLUDED_FILE_BYTES) throw new Error(`${project}:${file} is larger than the ${MAX_INCLUDED_FILE_BYTES} bytes an included file may be`);
  return text;
}
