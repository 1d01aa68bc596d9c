import { link, mention, mentionAll, plain } from './slack-text.js';
import type { EnvironmentStatus } from '../deploy/environment-status.js';
import type { AuditEvent, Deployment } from '../model/deployment.js';

export const APPROVE_ACTION = 'deploy_approve';
export const REJECT_ACTION = 'deploy_reject';

type Block = Record<string, unknown>;

const short = (sha: string) => (sha === 'unknown' ? 'an earlier image' : `\`${sha.slice(0, 12)}\``);
const time = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text } });
const context = (text: string): Block => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
const plainText = (text: string) => ({ type: 'plain_text', text });

function what(deployment: Deployment): string {
  if (deployment.kind === 'stop') return `stop *${deployment.environment}* of *${deployment.project}*, which runs ${short(deployment.sha)}`;
  if (deployment.kind === 'rollback') {
    const from = deployment.briefing.current ? ` from ${short(deployment.briefing.current.sha)}` : '';
    return `roll back *${deployment.project}* in *${deployment.environment}*${from} to ${short(deployment.sha)}`;
  }
  return `deploy ${short(deployment.sha)} of *${deployment.project}* to *${deployment.environment}*`;
}

function headline(deployment: Deployment): string {
  switch (deployment.status) {
    case 'requested':
      return `:rocket: ${mention(deployment.requestedBy)} asks to ${what(deployment)}.`;
    case 'approved':
      return `:white_check_mark: Approved by ${mention(deployment.decidedBy!)}: about to ${what(deployment)}.`;
    case 'deploying':
      return `:arrows_counterclockwise: ${deployment.kind === 'stop' ? 'Stopping' : 'Deploying'}: ${what(deployment)} (approved by ${mention(deployment.decidedBy!)}).`;
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

/** The commit going out, as its forge describes it: hostile text, so escaped. */
function commitLine({ briefing }: Deployment): string | undefined {
  if (!briefing.commit) return undefined;
  const title = briefing.commit.url ? link(briefing.commit.url, briefing.commit.title) : `*${plain(briefing.commit.title)}*`;
  return `${title} by ${plain(briefing.commit.author, 80)}`;
}

/** What ran in the environment when the request was made; absent for requests older than briefings. */
function currentLine({ briefing, environment }: Deployment): string | undefined {
  if (briefing.current === undefined) return undefined;
  if (briefing.current === null) return `Nothing had been deployed to *${environment}* when this was asked.`;
  const { sha, digest, since, approvedBy } = briefing.current;
  const approved = approvedBy ? `, approved by ${mention(approvedBy)}` : '';
  return `When asked, *${environment}* ran ${short(sha)} (\`${digest.slice(0, 19)}…\`) since ${time(new Date(since))}${approved}.`;
}

/** The deploy jobs' pipeline, live while they run: a page of the same server as the tested pipeline's. */
function deployJobsLink(deployment: Deployment): string[] {
  const { briefing, jobPipelineId } = deployment;
  if (jobPipelineId === null) return [];
  const label = `${deployment.kind === 'stop' ? 'stop' : 'deploy'} job log: pipeline #${jobPipelineId}`;
  return [briefing.pipelineUrl ? link(briefing.pipelineUrl.replace(/\/pipelines\/\d+$/, `/pipelines/${jobPipelineId}`), label) : label];
}

function linksLine(deployment: Deployment): string {
  const { briefing } = deployment;
  return [
    ...(briefing.pipelineUrl ? [link(briefing.pipelineUrl, `pipeline #${deployment.pipelineId}`)] : deployment.pipelineId ? [`pipeline #${deployment.pipelineId}`] : []),
    ...deployJobsLink(deployment),
    ...(briefing.provenance ? [briefing.provenance] : []),
    ...(briefing.changeRequest ? [link(briefing.changeRequest.url, briefing.changeRequest.label)] : []),
    ...(briefing.compareUrl ? [link(briefing.compareUrl, deployment.kind === 'rollback' ? 'what the rollback undoes' : 'changes since what runs now')] : []),
    ...(briefing.environmentUrl ? [link(briefing.environmentUrl, `${deployment.environment}: ${briefing.environmentUrl}`)] : []),
  ].join(' · ');
}

function approveButton(deployment: Deployment): Block {
  const button: Block = { type: 'button', action_id: APPROVE_ACTION, style: 'primary', text: plainText('Approve'), value: String(deployment.id) };
  if (!deployment.briefing.confirm) return button;
  // Slack's own "are you sure?" dialog: its title takes 100 characters, its text 300.
  const question = `This will ${what(deployment)}.`;
  return {
    ...button,
    confirm: {
      title: plainText(`Deploy to ${deployment.environment}?`.slice(0, 100)),
      text: { type: 'mrkdwn', text: question.length > 300 ? `${question.slice(0, 299)}…` : question },
      confirm: plainText('Approve'),
      deny: plainText('Not yet'),
      style: 'danger',
    },
  };
}

/**
 * The channel message for a deployment, in whatever state it is: what goes where, the commit,
 * links, what ran there before; buttons only while it waits. Every update shows the same facts.
 */
export function deploymentMessage(deployment: Deployment, approvers: string[] = []): { text: string; blocks: Block[] } {
  const text = headline(deployment);
  const image = [
    `Image \`${deployment.imageRef}\``,
    `digest \`${deployment.digest}\``,
    ...(deployment.previousDigest ? [`before: \`${deployment.previousDigest}\``] : []),
  ].join(' · ');
  const commit = commitLine(deployment);
  const links = linksLine(deployment);
  const current = currentLine(deployment);
  const blocks: Block[] = [
    section(commit ? `${text}\n${commit}` : text),
    ...(links ? [context(links)] : []),
    ...(current ? [context(current)] : []),
    context(image),
  ];
  if (deployment.status === 'requested') {
    blocks.push(section(`Waiting for ${approvers.length ? mentionAll(approvers) : 'an approver'} until ${time(deployment.expiresAt)}.`));
    blocks.push({
      type: 'actions',
      block_id: `deployment-${deployment.id}`,
      elements: [approveButton(deployment), { type: 'button', action_id: REJECT_ACTION, style: 'danger', text: plainText('Reject'), value: String(deployment.id) }],
    });
  }
  return { text, blocks };
}

/** Deploy outcomes: what an environment's announce channel hears. */
export const OUTCOMES: ReadonlySet<Deployment['status']> = new Set(['succeeded', 'failed', 'rejected', 'expired', 'withdrawn']);

export function statusText(environments: EnvironmentStatus[]): string {
  if (environments.length === 0) return 'No environments are configured in SLIPWAY_CONFIG.';
  return environments
    .map(({ project, environment, current, lock }) => {
      const since = current && time(current.finishedAt ?? current.requestedAt);
      const runs = !current ? 'nothing deployed yet' : current.kind === 'stop' ? `stopped since ${since} (it ran ${short(current.sha)})` : `${short(current.sha)} (\`${current.digest.slice(0, 19)}…\`) since ${since}`;
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
