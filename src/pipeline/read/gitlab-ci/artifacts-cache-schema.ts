import { z } from 'zod';
import { parseGitlabDuration } from './gitlab-duration.js';

const pathList = (what: string) =>
  z.preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(z.string({ error: `must be ${what}` }).min(1), { error: `must be a list of ${what}` }));

const WHEN = ['on_success', 'on_failure', 'always'] as const;
const whenSchema = z.enum(WHEN, { error: `must be one of ${WHEN.join(', ')}` });

/** `expire_in: 1 week`; `never` keeps them. Seconds, or null for never. */
const ExpireInSchema = z.union([z.string(), z.number().int().positive()], { error: 'must be a duration such as 1 week, or never' }).transform((value, context) => {
  if (typeof value === 'string' && value.trim().toLowerCase() === 'never') return null;
  const seconds = typeof value === 'number' ? value : parseGitlabDuration(value);
  if (seconds === undefined) {
    context.addIssue({ code: 'custom', message: 'must be a duration such as 30 days, 1 week or 2 hrs, or never' });
    return z.NEVER;
  }
  return seconds;
});

/** GitLab's `artifacts`: files a job hands to later jobs and to people, and `reports:dotenv` variables. */
export const ArtifactsSchema = z.looseObject(
  {
    paths: pathList('file paths or globs such as dist/ or **/*.log').optional(),
    exclude: pathList('file paths or globs').optional(),
    untracked: z.boolean({ error: 'must be true or false' }).optional(),
    when: whenSchema.optional(),
    expire_in: ExpireInSchema.optional(),
    name: z.string({ error: 'must be a name such as $CI_JOB_NAME' }).optional(),
    reports: z
      .looseObject({ dotenv: pathList('dotenv file paths such as build.env').optional() }, { error: 'must be a mapping of report kinds, such as dotenv: build.env' })
      .optional(),
  },
  { error: 'must be a mapping with paths' },
);

const CACHE_POLICIES = ['pull', 'push', 'pull-push'] as const;

/** `key: deps-$CI_COMMIT_REF_SLUG`, or `key: { files: [package-lock.json], prefix: $CI_JOB_NAME }`. */
const CacheKeySchema = z.union(
  [
    z.union([z.string(), z.number()]).transform(String),
    z.strictObject({
      files: pathList('file paths such as package-lock.json').refine((files) => files.length >= 1 && files.length <= 2, { error: 'must name one or two files, as in GitLab' }),
      prefix: z.string({ error: 'must be text such as $CI_JOB_NAME' }).optional(),
    }),
  ],
  { error: 'must be text, or a mapping with files (and prefix)' },
);

const CacheEntrySchema = z.looseObject(
  {
    key: CacheKeySchema.optional(),
    paths: pathList('file paths or globs such as node_modules/').optional(),
    untracked: z.boolean({ error: 'must be true or false' }).optional(),
    policy: z.string({ error: `must be one of ${CACHE_POLICIES.join(', ')}` }).optional(),
    when: whenSchema.optional(),
    fallback_keys: z.array(z.string({ error: 'must be cache keys' }), { error: 'must be a list of cache keys' }).max(5, { error: 'may list at most 5 keys, as in GitLab' }).optional(),
  },
  { error: 'must be a mapping with key and paths' },
);

/** One cache or a list of them (at most four, GitLab's bound). */
export const CacheSchema = z.preprocess(
  (value) => (Array.isArray(value) ? value : [value]),
  z.array(CacheEntrySchema, { error: 'must be a mapping with key and paths, or a list of them' }).max(4, { error: 'may list at most 4 caches, as in GitLab' }),
);

export const DependenciesSchema = z.array(z.string({ error: 'must be job names' }).min(1), { error: 'must be a list of job names' });

export type GitlabArtifacts = z.output<typeof ArtifactsSchema>;
export type GitlabCache = z.output<typeof CacheSchema>;
export { CACHE_POLICIES };
