import type { EnvironmentPolicy } from '../config/policy-file.js';
import { ALLOWED, refuse, type Checked } from '../model/refusal.js';

/** How people and groups are named in a refusal; chat decides (Slack: `<@U…>`). */
export type NamePeople = (ids: string[]) => string;

/** Is `user` named in `list`, directly or through one of its user groups? */
function listed(list: string[], user: string, groups: ReadonlySet<string>): boolean {
  return list.includes(user) || list.some((id) => id.startsWith('S') && groups.has(id));
}

/** The user groups worth asking about for this environment. */
export function groupIdsOf(policy: EnvironmentPolicy): string[] {
  return [...(policy.requesters ?? []), ...policy.approvers].filter((id) => id.startsWith('S'));
}

export function mayRequest(environment: string, policy: EnvironmentPolicy, user: string, groups: ReadonlySet<string>, name: NamePeople): Checked {
  if (!policy.requesters || listed(policy.requesters, user, groups)) return ALLOWED;
  return refuse(`you may not deploy to ${environment}: ask ${name(policy.requesters)}`);
}

export function isApprover(policy: EnvironmentPolicy, user: string, groups: ReadonlySet<string>): boolean {
  return listed(policy.approvers, user, groups);
}

export function mayApprove(environment: string, policy: EnvironmentPolicy, approver: string, requester: string, groups: ReadonlySet<string>, name: NamePeople): Checked {
  if (!isApprover(policy, approver, groups)) return refuse(`only ${name(policy.approvers)} may approve deploys to ${environment}`);
  if (approver === requester && !policy.allowSelfApproval) {
    return refuse(`you asked for this deploy, so someone else must approve it (${environment} does not allow self-approval)`);
  }
  return ALLOWED;
}
