/**
 * "Refused, and why": the one shape of every check that can say no (a deploy rule, a webhook
 * that is not authentic, a commit that was not tested). The reason is shown to a person as it is.
 */
export interface Refusal {
  ok: false;
  reason: string;
}

/** Allowed, with what the check found, or refused with the reason. */
export type Checked<T extends object = object> = ({ ok: true } & T) | Refusal;

export function refuse(reason: string): Refusal {
  return { ok: false, reason };
}

export const ALLOWED = { ok: true } as const;
