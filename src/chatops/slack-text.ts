/** Slack's mrkdwn, written safely: mentions as Slack shows them, and text from elsewhere kept as text. */

export function mention(id: string): string {
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

/** Several people or groups, as deploy refusals name them. */
export function mentionAll(ids: string[]): string {
  return ids.map(mention).join(', ');
}

/**
 * Text someone else wrote (a commit title from a branch): Slack's three control characters are
 * escaped, so `<!channel>` or `<https://evil|docs>` in it stays visible text and pings nobody.
 */
export function plain(text: string, maxLength = 200): string {
  const cut = text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A link with a label; the URL cannot end the link early or smuggle in a second one. */
export function link(url: string, label: string): string {
  const safe = url.replace(/[<>|\s]/g, (character) => encodeURIComponent(character));
  return `<${safe}|${plain(label)}>`;
}
