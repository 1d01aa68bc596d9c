import nock from 'nock';

export const SLACK_API_URL = 'https://slack.slipway.test/api/';
/** A channel whose messages the fake refuses with `not_in_channel`. */
export const NOT_IN_CHANNEL = 'CNOBOTHERE';

export interface SlackCall {
  method: string;
  args: Record<string, string>;
}

/** Slack's Web API as far as Slipway uses it, answering from memory; user groups are given. */
export function fakeSlack(usergroups: Record<string, string[]> = {}) {
  const calls: SlackCall[] = [];
  let ts = 1_700_000_000;
  const form = (body: unknown): Record<string, string> =>
    typeof body === 'string' ? Object.fromEntries(new URLSearchParams(body)) : (body as Record<string, string>);
  const scope = nock(new URL(SLACK_API_URL).origin)
    .persist()
    .post(/^\/api\/[a-zA-Z.]+$/)
    .reply((uri, body) => {
      const method = uri.slice('/api/'.length);
      const args = form(body);
      calls.push({ method, args });
      switch (method) {
        case 'auth.test':
          return [200, { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0001', user: 'slipway' }];
        case 'chat.postMessage':
          // A channel the bot was never invited to, as Slack answers it.
          if (args.channel === NOT_IN_CHANNEL) return [200, { ok: false, error: 'not_in_channel' }];
          ts += 1;
          return [200, { ok: true, channel: args.channel, ts: `${ts}.000100` }];
        case 'chat.update':
          return [200, { ok: true, channel: args.channel, ts: args.ts }];
        case 'chat.postEphemeral':
          return [200, { ok: true, message_ts: `${ts}.000200` }];
        case 'usergroups.users.list':
          return [200, { ok: true, users: usergroups[args.usergroup ?? ''] ?? [] }];
        default:
          return [200, { ok: false, error: 'unknown_method' }];
      }
    });
  return {
    scope,
    calls,
    of: (method: string) => calls.filter((call) => call.method === method),
    ephemeralTo: (user: string) => calls.filter((call) => call.method === 'chat.postEphemeral' && call.args.user === user).map((call) => call.args.text ?? ''),
  };
}
