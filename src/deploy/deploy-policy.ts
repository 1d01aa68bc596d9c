import type { EnvironmentPolicy } from '../config/policy-file.js';

/** Allowed, or refused with the reason a person is shown. */
export type Decision = { allowed: true } | { allowed: false; reason: string };

/** Slack's own mention syntax, so the message names people and groups the way Slack shows them. */
export function mention(id: string): string {
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

export function mentionAll(ids: string[]): string {
  return ids.map(mention).join(', ');
}

/** Is `user` named in `list`, directly or through one of its user groups? */
function listed(list: string[], user: string, groups: ReadonlySet<string>): boolean {
  return list.includes(user) || list.some((id) => id.startsWith('S') && groups.has(id));
}

export function mayRequest(environment: string, policy: EnvironmentPolicy, user: string, groups: ReadonlySet<string>): Decision {
  if (!policy.requesters || listed(policy.requesters, user, groups)) return { allowed: true };
  return { allowed: false, reason: `you may not deploy to ${environment}: ask ${mentionAll(policy.requesters)}` };
}

export function isApprover(policy: EnvironmentPolicy, user: string, groups: ReadonlySet<string>): boolean {
  return listed(policy.approvers, user, groups);
}

export function mayApprove(environment: string, policy: EnvironmentPolicy, approver: string, requester: string, groups: ReadonlySet<string>): Decision {
  if (!isApprover(policy, approver, groups)) {
    return { allowed: false, reason: `only ${mentionAll(policy.approvers)} may approve deploys to ${environment}` };
  }
  if (approver === requester && !policy.allowSelfApproval) {
    return { allowed: false, reason: `you asked for this deploy, so someone else must approve it (${environment} does not allow self-approval)` };
  }
  return { allowed: true };
}
