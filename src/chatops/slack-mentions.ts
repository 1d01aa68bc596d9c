/** Slack's own mention syntax, so messages name people and groups the way Slack shows them. */
export function mention(id: string): string {
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

/** Several people or groups, as deploy refusals name them. */
export function mentionAll(ids: string[]): string {
  return ids.map(mention).join(', ');
}
