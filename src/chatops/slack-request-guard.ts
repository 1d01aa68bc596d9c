import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Slack's own tolerance for the request timestamp, both ways. */
export const SLACK_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
/** Slash commands and button clicks are a few KiB; a message with many blocks stays well under this. */
export const SLACK_BODY_LIMIT = 1024 * 1024;

export interface SlackGuardOptions {
  signingSecret: string;
  teamId: string;
  /** False when the signature was seen before (a replay). Called only for requests that passed every other check. */
  firstSighting(signature: string): Promise<boolean>;
  now?: () => number;
}

export type GuardOutcome = { ok: true } | { ok: false; status: 400 | 401 | 403; reason: string };

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The workspace a slash command (`team_id=`) or an interaction (`payload={"team":{"id":…}}`) comes from. */
export function teamOf(form: URLSearchParams): string | undefined {
  const payload = form.get('payload');
  if (payload === null) return form.get('team_id') ?? undefined;
  try {
    const parsed = JSON.parse(payload) as { team?: { id?: unknown }; user?: { team_id?: unknown } };
    const id = parsed.team?.id ?? parsed.user?.team_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a Slack request before Bolt sees it: timestamp within Slack's tolerance in either
 * direction, HMAC signature over the exact body, the configured workspace, and not a replay.
 * Nothing is recorded for a request that fails any check but the last.
 */
export async function guardSlackRequest(request: IncomingMessage, body: Buffer, form: URLSearchParams, options: SlackGuardOptions): Promise<GuardOutcome> {
  const timestampText = header(request, 'x-slack-request-timestamp');
  const signature = header(request, 'x-slack-signature');
  if (!timestampText || !signature) return { ok: false, status: 401, reason: 'missing X-Slack-Request-Timestamp or X-Slack-Signature' };
  if (!/^\d{1,12}$/.test(timestampText)) return { ok: false, status: 401, reason: 'X-Slack-Request-Timestamp is not a Unix time' };
  const now = Math.floor((options.now?.() ?? Date.now()) / 1000);
  if (Math.abs(now - Number(timestampText)) > SLACK_TIMESTAMP_TOLERANCE_SECONDS) {
    return { ok: false, status: 401, reason: 'X-Slack-Request-Timestamp is more than five minutes from now: check the clock' };
  }
  const expected = `v0=${createHmac('sha256', options.signingSecret).update(`v0:${timestampText}:`).update(body).digest('hex')}`;
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
    return { ok: false, status: 401, reason: 'X-Slack-Signature does not match the body: check SLACK_SIGNING_SECRET' };
  }
  const team = teamOf(form);
  if (team !== options.teamId) return { ok: false, status: 403, reason: 'this Slipway answers one Slack workspace, and it is not this one (SLACK_TEAM_ID)' };
  if (!(await options.firstSighting(signature))) return { ok: false, status: 401, reason: 'this request was already received (a replay)' };
  return { ok: true };
}
