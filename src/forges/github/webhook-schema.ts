import { z } from 'zod';

/** The fields Slipway reads from GitHub's webhook payloads; everything else passes through. */
const Repository = z.object({
  id: z.number().int(),
  full_name: z.string().min(1),
  default_branch: z.string().min(1),
});

const Installation = z.object({ id: z.number().int() });

const Sha = z.string().regex(/^[0-9a-f]{40}$/, { error: 'must be a 40-character commit SHA' });

export const PushEventSchema = z.object({
  ref: z.string().min(1),
  after: z.string(),
  deleted: z.boolean().optional(),
  repository: Repository,
  installation: Installation.optional(),
});
export type PushEvent = z.infer<typeof PushEventSchema>;

export const PullRequestEventSchema = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({
    head: z.object({ sha: Sha, ref: z.string().min(1), repo: z.object({ full_name: z.string() }).nullable() }),
    base: z.object({ ref: z.string().min(1), repo: z.object({ full_name: z.string() }) }),
  }),
  repository: Repository,
  installation: Installation.optional(),
});
export type PullRequestEvent = z.infer<typeof PullRequestEventSchema>;
