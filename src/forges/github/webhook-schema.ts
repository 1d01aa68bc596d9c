import { z } from 'zod';
import { ApiId, boundedText, ChangeRequestNumber, ProjectPath, RefText, Sha } from '../payload-fields.js';

/** The fields Slipway reads from GitHub's webhook payloads; everything else passes through. */
const Repository = z.object({
  id: ApiId,
  full_name: ProjectPath,
  default_branch: RefText,
});

const Installation = z.object({ id: ApiId });

export const PushEventSchema = z.object({
  ref: RefText,
  before: Sha.optional(),
  after: Sha,
  deleted: z.boolean().optional(),
  repository: Repository,
  installation: Installation.optional(),
});
export type PushEvent = z.infer<typeof PushEventSchema>;

export const PullRequestEventSchema = z.object({
  action: z.string(),
  number: ChangeRequestNumber,
  pull_request: z.object({
    head: z.object({ sha: Sha, ref: RefText, repo: z.object({ full_name: ProjectPath }).nullable() }),
    base: z.object({ ref: RefText, repo: z.object({ full_name: ProjectPath }) }),
  }),
  repository: Repository,
  installation: Installation.optional(),
});
export type PullRequestEvent = z.infer<typeof PullRequestEventSchema>;

const Sender = z.object({ id: ApiId, login: boundedText(255), type: z.string().optional() });

export const IssueCommentEventSchema = z.object({
  action: z.string(),
  issue: z.object({ number: ChangeRequestNumber, pull_request: z.object({}).passthrough().optional() }),
  comment: z.object({ body: z.string().max(65_536), user: Sender }),
  repository: Repository,
  installation: Installation.optional(),
});

/** `check_run` and `check_suite`: what "Re-run" sends. */
export const CheckEventSchema = z.object({
  action: z.string(),
  check_run: z.object({ head_sha: Sha }).optional(),
  check_suite: z.object({ head_sha: Sha }).optional(),
  sender: Sender,
  repository: Repository,
  installation: Installation.optional(),
});
