import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/** Per-project settings that only the server decides; never read from a branch anyone can push to. */
export const ProjectPolicySchema = z.strictObject({
  /** Let pull/merge requests from forks push their image (they always run their tests). */
  allowForkPush: z.boolean({ error: 'must be true or false' }).default(false),
});

export const PolicyFileSchema = z.strictObject({
  projects: z.record(z.string().min(1), ProjectPolicySchema).default({}),
});

export type PolicyFile = z.infer<typeof PolicyFileSchema>;
export type ProjectPolicy = z.infer<typeof ProjectPolicySchema>;

export class PolicyFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'PolicyFileError';
  }
}

export const EMPTY_POLICY: PolicyFile = { projects: {} };

export function parsePolicy(text: string, file = 'SLIPWAY_CONFIG'): PolicyFile {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new PolicyFileError(file, document.errors.map((error) => `is not valid YAML: ${error.message.split('\n')[0]}`));
  const parsed = PolicyFileSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) {
    throw new PolicyFileError(file, parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'the file'} ${issue.message}`));
  }
  return parsed.data;
}

/** Reads the policy file once at start-up; no file means no special permissions for anyone. */
export async function loadPolicy(file: string | undefined): Promise<PolicyFile> {
  if (!file) return EMPTY_POLICY;
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new PolicyFileError(file, [`cannot be read (${error.code ?? error.message})`]);
  });
  return parsePolicy(text, file);
}

export function projectPolicy(policy: PolicyFile, project: string): ProjectPolicy {
  return policy.projects[project] ?? ProjectPolicySchema.parse({});
}
