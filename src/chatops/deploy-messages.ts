import { mention, mentionAll } from './slack-mentions.js';
import type { EnvironmentStatus } from '../deploy/environment-status.js';
import type { AuditEvent, Deployment } from '../store/deployment-store.js';

export const APPROVE_ACTION = 'deploy_approve';
export const REJECT_ACTION = 'deploy_reject';

type Block = Record<string, unknown>;

const short = (sha: string) => (sha === 'unknown' ? 'an earlier image' : `\`${sha.slice(0, 12)}\``);
const time = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text } });

function what(deployment: Deployment): string {
  const verb = deployment.kind === 'rollback' ? 'roll back' : 'deploy';
  return `${verb} ${short(deployment.sha)} of *${deployment.project}* to *${deployment.environment}*`;
}

function headline(deployment: Deployment): string {
  switch (deployment.status) {
    case 'requested':
      return `:rocket: ${mention(deployment.requestedBy)} asks to ${what(deployment)}.`;
    case 'approved':
      return `:white_check_mark: Approved by ${mention(deployment.decidedBy!)}: about to ${what(deployment)}.`;
    case 'deploying':
      return `:arrows_counterclockwise: Deploying: ${what(deployment)} (approved by ${mention(deployment.decidedBy!)}).`;
    case 'succeeded':
      return `:white_check_mark: Done: ${what(deployment)}, asked by ${mention(deployment.requestedBy)}, approved by ${mention(deployment.decidedBy!)}.`;
    case 'failed':
      return `:x: Failed to ${what(deployment)}: ${deployment.error ?? 'unknown error'}`;
    case 'rejected':
      return deployment.decidedBy === deployment.requestedBy
        ? `:no_entry_sign: Withdrawn by ${mention(deployment.requestedBy)}: ${what(deployment)}.`
        : `:no_entry_sign: Rejected by ${mention(deployment.decidedBy!)}: ${what(deployment)}.`;
    case 'withdrawn':
      return `:no_entry_sign: Withdrawn: the request to ${what(deployment)} could not be put before its approvers (${deployment.error ?? 'unknown error'}).`;
    case 'expired':
      return `:hourglass: Expired: nobody approved the request to ${what(deployment)} before ${time(deployment.expiresAt)}.`;
  }
}

/** The channel message for a deployment, in whatever state it is; buttons only while it waits. */
export function deploymentMessage(deployment: Deployment, approvers: string[] = []): { text: string; blocks: Block[] } {
  const text = headline(deployment);
  const details = [
    `Image \`${deployment.imageRef}\``,
    `digest \`${deployment.digest}\``,
    ...(deployment.pipelineId ? [`pipeline #${deployment.pipelineId}`] : []),
    ...(deployment.previousDigest ? [`before: \`${deployment.previousDigest}\``] : []),
  ].join(' · ');
  const blocks: Block[] = [section(text), { type: 'context', elements: [{ type: 'mrkdwn', text: details }] }];
  if (deployment.status === 'requested') {
    blocks.push(section(`Waiting for ${approvers.length ? mentionAll(approvers) : 'an approver'} until ${time(deployment.expiresAt)}.`));
    blocks.push({
      type: 'actions',
      block_id: `deployment-${deployment.id}`,
      elements: [
        { type: 'button', action_id: APPROVE_ACTION, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: String(deployment.id) },
        { type: 'button', action_id: REJECT_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value: String(deployment.id) },
      ],
    });
  }
  return { text, blocks };
}

export function statusText(environments: EnvironmentStatus[]): string {
  if (environments.length === 0) return 'No environments are configured in SLIPWAY_CONFIG.';
  return environments
    .map(({ project, environment, current, lock }) => {
      const runs = current ? `${short(current.sha)} (\`${current.digest.slice(0, 19)}…\`) since ${time(current.finishedAt ?? current.requestedAt)}` : 'nothing deployed yet';
      const locked = lock ? ` · :lock: locked by ${mention(lock.lockedBy)}${lock.expiresAt ? ` until ${time(lock.expiresAt)}` : ''}: ${lock.reason}` : '';
      return `*${project}:${environment}*: ${runs}${locked}`;
    })
    .join('\n');
}

export function historyText(environment: string, events: AuditEvent[]): string {
  if (events.length === 0) return `Nothing has happened in ${environment} yet.`;
  const lines = events.map((event) => {
    const subject = event.sha ? ` ${short(event.sha)}` : '';
    const reason = typeof event.detail.reason === 'string' ? `: ${event.detail.reason}` : '';
    const actor = event.actor === 'slipway' ? 'Slipway' : mention(event.actor);
    return `• ${time(event.at)}: ${actor} ${event.action}${subject}${reason}`;
  });
  return [`*${environment}*, newest first:`, ...lines].join('\n');
}
