import { createHmac } from 'node:crypto';

export const SLACK_SIGNING_SECRET = 'slack-signing-secret-for-tests';
export const SLACK_TEAM_ID = 'T0001';

function sign(body: string, timestamp: number, secret: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignOptions {
  secret?: string;
  /** Seconds since the epoch; Slack's requests older than five minutes are refused. */
  timestamp?: number;
  /** The channel a slash command is typed in. */
  channel?: string;
}

export function postSigned(base: string, body: string, options: SignOptions = {}) {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(`${base}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': sign(body, timestamp, options.secret ?? SLACK_SIGNING_SECRET),
    },
    body,
  });
}

/** A slash command as Slack sends it: form-encoded and signed. */
export function slashCommand(base: string, user: string, text: string, options: SignOptions = {}) {
  const body = new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0001',
    team_domain: 'slipway',
    channel_id: options.channel ?? 'CDEPLOYS',
    channel_name: 'deploys',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/deploy',
    text,
    api_app_id: 'A0001',
    response_url: 'https://hooks.slack.slipway.test/commands/T0001/1/abc',
    // Slack gives every request its own trigger id, so no two are byte-identical.
    trigger_id: `${Date.now()}.${Math.random().toString().slice(2)}`,
  }).toString();
  return postSigned(base, body, options);
}

/** A click on one of a message's buttons: `payload=` with the block_actions JSON, signed. */
export function buttonClick(base: string, user: string, actionId: string, value: string, options: SignOptions = {}) {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: '1700000001.000100', channel_id: 'CDEPLOYS', is_ephemeral: false },
    trigger_id: `${Date.now()}.${Math.random().toString().slice(2)}`,
    team: { id: 'T0001', domain: 'slipway' },
    channel: { id: 'CDEPLOYS', name: 'deploys' },
    message: { type: 'message', ts: '1700000001.000100', text: 'deploy request' },
    response_url: 'https://hooks.slack.slipway.test/actions/T0001/1/def',
    actions: [{ action_id: actionId, block_id: `deployment-${value}`, value, type: 'button', action_ts: '1700000002.000000', text: { type: 'plain_text', text: 'Approve' } }],
  };
  return postSigned(base, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), options);
}
