import type { IncomingMessage } from 'node:http';
import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../telemetry/logger.js';
import type { DeployCommands } from '../deploy/deploy-commands.js';
import type { Directory } from '../deploy/deploy-context.js';
import type { DeployEvent } from '../deploy/deploy-events.js';
import { readBody } from '../http/read-body.js';
import { sendError } from '../http/respond.js';
import type { Route } from '../http/router.js';
import type { Deployment } from '../model/deployment.js';
import { APPROVE_ACTION, OUTCOMES, REJECT_ACTION, deploymentMessage, historyText, statusText } from './deploy-messages.js';
import { DEPLOY_HELP, parseDeployCommand } from './parse-deploy-command.js';
import { guardSlackRequest, SLACK_BODY_LIMIT } from './slack-request-guard.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackOptions {
  botToken: string;
  signingSecret: string;
  apiUrl: string;
  /** The workspace whose requests are honoured. */
  teamId: string;
  /** False for a signature seen before: a replayed request. */
  firstSighting(signature: string): Promise<boolean>;
  logger: Logger;
}

/** A button's value is the deployment's number, as Slipway wrote it; anything else is not ours. */
export function deploymentIdOf(value: unknown): number | undefined {
  return typeof value === 'string' && /^[1-9]\d{0,14}$/.test(value) ? Number(value) : undefined;
}

const ephemeral = (text: string) => ({ response_type: 'ephemeral' as const, text });

/** Pino behind Bolt's logger interface, so Slack's warnings land in the same JSON log. */
function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'slack' });
  return {
    debug: (...messages: unknown[]) => child.debug(messages.map(String).join(' ')),
    info: (...messages: unknown[]) => child.info(messages.map(String).join(' ')),
    warn: (...messages: unknown[]) => child.warn(messages.map(String).join(' ')),
    error: (...messages: unknown[]) => child.error(messages.map(String).join(' ')),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

/** Wires `/deploy` to the deploy commands: each answer is the command's reply, or the refusal's reason. */
function attachDeployCommand(app: App, service: DeployCommands, log: Logger): void {
  app.command('/deploy', async ({ command, ack, client }) => {
    const parsed = parseDeployCommand(command.text);
    const user = command.user_id;
    switch (parsed.kind) {
      case 'help':
        return ack(ephemeral(DEPLOY_HELP));
      case 'invalid':
        return ack(ephemeral(parsed.message));
      case 'status': {
        const result = await service.status(parsed.environment);
        return ack(ephemeral(result.ok ? statusText(result.environments) : result.reason));
      }
      case 'history': {
        const result = await service.history(parsed.environment);
        return ack(ephemeral(result.ok ? historyText(parsed.environment, result.events) : result.reason));
      }
      case 'lock':
      case 'unlock': {
        const result = parsed.kind === 'lock' ? await service.lock(user, parsed.environment, parsed.reason, parsed.forSeconds) : await service.unlock(user, parsed.environment);
        if (!result.ok) return ack(ephemeral(`Not ${parsed.kind}ed: ${result.reason}`));
        await ack({ response_type: 'in_channel', text: `<@${user}>: ${result.message}` });
        return;
      }
      case 'request':
      case 'rollback':
      case 'stop': {
        if (parsed.kind === 'request' && parsed.dryRun) {
          const checked = await service.dryRun(user, parsed.sha, parsed.environment);
          return ack(ephemeral(checked.ok ? checked.message : `Dry run: would refuse: ${checked.reason}`));
        }
        const result =
          parsed.kind === 'request' ? await service.request(user, parsed.sha, parsed.environment) : parsed.kind === 'stop' ? await service.stop(user, parsed.environment) : await service.rollback(user, parsed.environment);
        if (!result.ok) return ack(ephemeral(`${parsed.kind === 'stop' ? 'Not stopping' : 'Not deploying'}: ${result.reason}`));
        // The message goes out before the answer: a request its approvers cannot see is withdrawn, and the requester told why.
        let posted;
        try {
          posted = await client.chat.postMessage({ channel: command.channel_id, ...deploymentMessage(result.deployment, result.approvers) });
        } catch (error) {
          const why = postFailure(error);
          log.warn({ err: error, deploymentId: result.deployment.id }, 'could not post the approval message');
          await service.withdraw(result.deployment.id, why.code);
          return ack(ephemeral(`Not asked: Slipway could not post the approval message in this channel (${why.code}): ${why.fix}. Request #${result.deployment.id} was withdrawn.`));
        }
        await ack(ephemeral(`Asked for approval of ${result.deployment.kind} request #${result.deployment.id}.`));
        if (posted.channel && posted.ts) await service.recordMessage(result.deployment.id, posted.channel, posted.ts);
        return;
      }
    }
  });
}

/** Wires the Approve and Reject buttons, and logs what a handler could not do. */
function attachDecisions(app: App, service: DeployCommands, log: Logger): void {
  for (const [actionId, decision] of [
    [APPROVE_ACTION, 'approved'],
    [REJECT_ACTION, 'rejected'],
  ] as const) {
    app.action(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const user = body.user.id;
      const channel = body.channel?.id;
      const deploymentId = deploymentIdOf('value' in action ? action.value : undefined);
      const verb = decision === 'approved' ? 'approved' : 'rejected';
      if (deploymentId === undefined) {
        if (channel) await client.chat.postEphemeral({ channel, user, text: `Not ${verb}: this button does not name a Slipway deploy request` });
        return;
      }
      // Only the decision is recorded here; a runner claims the approved deploy and carries it out.
      const result = await service.decide(deploymentId, user, decision);
      if (!result.ok && channel) await client.chat.postEphemeral({ channel, user, text: `Not ${verb}: ${result.reason}` });
    });
  }

  app.error(async (error) => {
    log.error({ err: error }, 'a Slack handler failed');
  });
}

/**
 * The Slack app: `/deploy` and the Approve/Reject buttons, mounted at POST /slack/events in our
 * own server. Bolt's receiver checks the signature and timestamp (401) before anything runs.
 */
export function createSlackApp(options: SlackOptions) {
  const receiver = new HTTPReceiver({ signingSecret: options.signingSecret, endpoints: SLACK_EVENTS_PATH, logger: boltLogger(options.logger) });
  const app = new App({ token: options.botToken, receiver, clientOptions: { slackApiUrl: options.apiUrl }, logger: boltLogger(options.logger) });
  const log = options.logger.child({ component: 'slack' });

  /** Keeps the approval message in the channel telling the truth about its deployment. */
  async function updateMessage(deployment: Deployment): Promise<void> {
    if (!deployment.chatChannel || !deployment.chatMessageTs) return;
    const message = deploymentMessage(deployment);
    await app.client.chat.update({ channel: deployment.chatChannel, ts: deployment.chatMessageTs, ...message });
  }

  /** An environment's announce channel hears every outcome, unless it is where the request was asked. */
  async function announce(deployment: Deployment): Promise<void> {
    const channel = deployment.briefing.announce;
    if (!channel || channel === deployment.chatChannel || !OUTCOMES.has(deployment.status)) return;
    await app.client.chat.postMessage({ channel, ...deploymentMessage(deployment) });
  }

  const directory: Directory = {
    async groupsOf(user, candidateGroups) {
      const member = new Set<string>();
      for (const usergroup of candidateGroups) {
        const response = await app.client.usergroups.users.list({ usergroup });
        if (response.users?.includes(user)) member.add(usergroup);
      }
      return member;
    },
  };

  const route: Route = {
    method: 'POST',
    path: SLACK_EVENTS_PATH,
    async handle(request, response) {
      const body = await readBody(request, SLACK_BODY_LIMIT);
      const form = new URLSearchParams(body.toString('utf8'));
      // Slack's reachability check carries no signature and asks for nothing but a 200.
      if (form.get('ssl_check') === '1' && !form.has('payload') && !form.has('command')) {
        response.writeHead(200).end();
        return;
      }
      const guard = await guardSlackRequest(request, body, form, { signingSecret: options.signingSecret, teamId: options.teamId, firstSighting: options.firstSighting });
      if (!guard.ok) {
        log.warn({ reason: guard.reason }, 'Slack request refused');
        return sendError(response, guard.status, guard.reason);
      }
      // Bolt reads an already-buffered body from here instead of the consumed stream.
      (request as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      receiver.requestListener(request, response);
    },
  };

  return {
    route,
    directory,
    /** Wires `/deploy` and the buttons to the deploy commands. */
    attach(service: DeployCommands): void {
      attachDeployCommand(app, service, log);
      attachDecisions(app, service, log);
    },
    /** A deploy event's part in Slack: the approval message follows its deployment's state. */
    async onDeployEvent(event: DeployEvent): Promise<void> {
      if (event.type !== 'changed') return;
      await updateMessage(event.deployment);
      await announce(event.deployment);
    },
  };
}

export type SlackApp = ReturnType<typeof createSlackApp>;

/** What Slack's refusal of a message means, and what the workspace's admins do about it. */
function postFailure(error: unknown): { code: string; fix: string } {
  const data = typeof error === 'object' && error !== null && 'data' in error ? (error.data as { error?: string; needed?: string }) : {};
  const code = data.error ?? (error instanceof Error ? error.message : 'unknown error');
  if (code === 'not_in_channel' || code === 'channel_not_found') return { code, fix: 'invite the bot to this channel (/invite @Slipway) and ask again' };
  if (code === 'missing_scope') return { code, fix: `give the Slack app the ${data.needed ?? 'chat:write'} scope, reinstall it, and ask again` };
  return { code, fix: 'see the service log, and ask again' };
}
