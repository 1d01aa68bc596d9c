import { z } from 'zod';
import { ApiId, boundedText, ChangeRequestNumber, ProjectPath, RefText, Sha } from '../payload-fields.js';

/** The fields Slipway reads from GitLab's documented webhook bodies; everything else passes through. */
const Project = z.object({
  id: ApiId,
  path_with_namespace: ProjectPath,
  default_branch: RefText.nullable().optional(),
  web_url: z.string().optional(),
});

export const PushHookSchema = z.object({
  object_kind: z.literal('push'),
  ref: RefText,
  before: Sha,
  after: Sha,
  /** Null when the push deleted the branch. */
  checkout_sha: Sha.nullable(),
  project_id: ApiId,
  project: Project,
});
export type PushHook = z.infer<typeof PushHookSchema>;

export const MergeRequestHookSchema = z.object({
  object_kind: z.literal('merge_request'),
  project: Project,
  object_attributes: z.object({
    iid: ChangeRequestNumber,
    action: z.string().optional(),
    state: z.string(),
    source_branch: RefText,
    target_branch: RefText,
    source_project_id: ApiId,
    target_project_id: ApiId,
    last_commit: z.object({ id: Sha }),
    /** Present on `update` only when the update pushed new commits. */
    oldrev: Sha.optional(),
  }),
});
export type MergeRequestHook = z.infer<typeof MergeRequestHookSchema>;

/** A comment; Slipway reads those on merge requests. */
export const NoteHookSchema = z.object({
  object_kind: z.literal('note'),
  user: z.object({ id: ApiId, username: boundedText(255) }),
  project: Project,
  object_attributes: z.object({ id: ApiId, note: z.string().max(1_000_000), noteable_type: z.string() }),
  merge_request: z.object({ iid: ChangeRequestNumber }).optional(),
});
