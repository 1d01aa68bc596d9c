export type DeployCommand =
  | { kind: 'request'; sha: string; environment: string }
  | { kind: 'status'; environment?: string }
  | { kind: 'history'; environment: string }
  | { kind: 'rollback'; environment: string }
  | { kind: 'lock'; environment: string; reason: string }
  | { kind: 'unlock'; environment: string }
  | { kind: 'help' }
  | { kind: 'invalid'; message: string };

export const DEPLOY_HELP = [
  '*/deploy* asks for, approves and tracks deploys of tested images:',
  '• `/deploy <sha> <env>`: deploy a commit whose pipeline passed (a unique prefix of 7+ characters will do); an approver must approve',
  '• `/deploy status [env]`: what runs where, and locks',
  '• `/deploy history <env>`: the last requests, approvals and deploys',
  '• `/deploy rollback <env>`: go back to the image before the current one (needs approval too)',
  '• `/deploy lock <env> <reason>` and `/deploy unlock <env>`: stop and allow deploys (approvers only)',
  'Where several projects share an environment name, write it as `group/app:prod`.',
].join('\n');

const KEYWORDS = new Set(['status', 'history', 'rollback', 'lock', 'unlock', 'help']);

/** The `/deploy` grammar. Anything it does not understand says what was expected. */
export function parseDeployCommand(text: string): DeployCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [first, second, ...rest] = words;
  if (first === undefined || first === 'help') return { kind: 'help' };
  const keyword = first.toLowerCase();
  if (KEYWORDS.has(keyword)) {
    switch (keyword) {
      case 'status':
        if (rest.length > 0) return { kind: 'invalid', message: 'usage: /deploy status [env]' };
        return second === undefined ? { kind: 'status' } : { kind: 'status', environment: second };
      case 'history':
      case 'rollback':
      case 'unlock':
        if (second === undefined || rest.length > 0) return { kind: 'invalid', message: `usage: /deploy ${keyword} <env>` };
        return { kind: keyword, environment: second };
      case 'lock':
        if (second === undefined || rest.length === 0) return { kind: 'invalid', message: 'usage: /deploy lock <env> <reason>: say why, so others know' };
        return { kind: 'lock', environment: second, reason: rest.join(' ') };
    }
  }
  if (second === undefined) return { kind: 'invalid', message: `which environment? usage: /deploy <sha> <env>` };
  if (rest.length > 0) return { kind: 'invalid', message: `too many words: usage: /deploy <sha> <env>` };
  if (!/^[0-9a-fA-F]{7,40}$/.test(first)) {
    return { kind: 'invalid', message: `"${first}" is not a commit SHA (7 to 40 hex characters) or a command; try /deploy help` };
  }
  return { kind: 'request', sha: first.toLowerCase(), environment: second };
}
