import { z } from 'zod';

/** The fields Slipway reads from GitLab's documented webhook bodies; everything else passes through. */
const Project = z.object({
  id: z.number().int(),
  path_with_namespace: z.string().min(1),
  default_branch: z.string().min(1).nullable().optional(),
  web_url: z.string().optional(),
});

const Sha = z.string().regex(/^[0-9a-f]{40}$/, { error: 'must be a 40-character commit SHA' });

export const PushHookSchema = z.object({
  object_kind: z.literal('push'),
  ref: z.string().min(1),
  before: z.string(),
  after: z.string(),
  /** Null when the push deleted the branch. */
  checkout_sha: Sha.nullable(),
  project_id: z.number().int(),
  project: Project,
});
export type PushHook = z.infer<typeof PushHookSchema>;

export const MergeRequestHookSchema = z.object({
  object_kind: z.literal('merge_request'),
  project: Project,
  object_attributes: z.object({
    iid: z.number().int().positive(),
    action: z.string().optional(),
    state: z.string(),
    source_branch: z.string().min(1),
    target_branch: z.string().min(1),
    source_project_id: z.number().int(),
    target_project_id: z.number().int(),
    last_commit: z.object({ id: Sha }),
    /** Present on `update` only when the update pushed new commits. */
    oldrev: Sha.optional(),
  }),
});
export type MergeRequestHook = z.infer<typeof MergeRequestHookSchema>;
