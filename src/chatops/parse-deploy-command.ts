export type DeployCommand =
  | { kind: 'request'; sha: string; environment: string; dryRun: boolean }
  | { kind: 'status'; environment?: string }
  | { kind: 'history'; environment: string }
  | { kind: 'rollback'; environment: string }
  | { kind: 'stop'; environment: string }
  | { kind: 'lock'; environment: string; reason: string; forSeconds: number | null }
  | { kind: 'unlock'; environment: string }
  | { kind: 'help' }
  | { kind: 'invalid'; message: string };

export const DEPLOY_HELP = [
  '*/deploy* asks for, approves and tracks deploys of tested images:',
  '• `/deploy <sha> <env>`: deploy a commit whose pipeline passed (a unique prefix of 7+ characters will do); an approver must approve',
  '• `/deploy <sha> <env> dry-run`: every check and what would change, recording nothing',
  '• `/deploy status [env]`: what runs where, and locks',
  '• `/deploy history <env>`: the last requests, approvals and deploys',
  '• `/deploy rollback <env>`: go back to the image before the current one (needs approval too)',
  '• `/deploy stop <env>`: run the stop job (`environment: {name: <env>, action: stop}`) of the commit deployed there (needs approval too)',
  '• `/deploy lock <env> <reason> [for 2h]`: stop deploys (approvers only), until unlocked or for a while (s, m, h, d)',
  '• `/deploy unlock <env>`: allow them again (approvers, or whoever locked it)',
  'An environment may take only commits tested on some branches, and only images deployed to others first (`branches` and `after` in SLIPWAY_CONFIG); a refusal names the rule.',
  'Some lock themselves after a rollback (`lockAfterRollback`), and some ask approvers to confirm (`confirm`). Every promotion also leaves a tag `<env>-<unix seconds>-<short sha>` that never moves.',
  'The approval message shows the commit, links to its pipeline, merge request and diff, and what runs there now.',
  'Where several projects share an environment name, write it as `group/app:prod`.',
].join('\n');

const KEYWORDS = new Set(['status', 'history', 'rollback', 'stop', 'lock', 'unlock', 'help']);

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
      case 'stop':
      case 'unlock':
        if (second === undefined || rest.length > 0) return { kind: 'invalid', message: `usage: /deploy ${keyword} <env>` };
        return { kind: keyword, environment: second };
      case 'lock':
      {
        // `for 2h` at the end is how long; anything else is the reason.
        const duration = rest.length >= 2 && rest.at(-2)!.toLowerCase() === 'for' ? /^(\d{1,6})([smhd])$/.exec(rest.at(-1)!) : null;
        const reason = (duration ? rest.slice(0, -2) : rest).join(' ');
        if (second === undefined || reason === '') return { kind: 'invalid', message: 'usage: /deploy lock <env> <reason> [for 2h]: say why, so others know' };
        const forSeconds = duration ? Number(duration[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[duration[2] as 's'] : null;
        if (forSeconds !== null && (forSeconds < 1 || forSeconds > 90 * 86400)) return { kind: 'invalid', message: 'a lock lasts from 1s to 90d: /deploy lock <env> <reason> for 2h' };
        return { kind: 'lock', environment: second, reason, forSeconds };
      }
    }
  }
  if (second === undefined) return { kind: 'invalid', message: `which environment? usage: /deploy <sha> <env>` };
  const dryRun = rest.length === 1 && rest[0]!.toLowerCase() === 'dry-run';
  if (rest.length > 0 && !dryRun) return { kind: 'invalid', message: `too many words: usage: /deploy <sha> <env> [dry-run]` };
  if (!/^[0-9a-fA-F]{7,40}$/.test(first)) {
    return { kind: 'invalid', message: `"${first}" is not a commit SHA (7 to 40 hex characters) or a command; try /deploy help` };
  }
  return { kind: 'request', sha: first.toLowerCase(), environment: second, dryRun };
}
