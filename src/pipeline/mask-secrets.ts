const MASK = '[masked]';

/**
 * Replaces secret values in streamed output. Text is held back until a line ends (or a
 * chunk grows long), so a secret split across two chunks is still caught.
 */
export function createMasker(secrets: string[], emit: (text: string) => void, maxPending = 64 * 1024) {
  const values = [...new Set(secrets.filter((secret) => secret.length > 0))].sort((a, b) => b.length - a.length);
  let pending = '';

  const mask = (text: string) => values.reduce((masked, secret) => masked.split(secret).join(MASK), text);

  return {
    write(text: string): void {
      pending += text;
      const lastNewline = pending.lastIndexOf('\n');
      if (lastNewline === -1 && pending.length < maxPending) return;
      const cut = lastNewline === -1 ? pending.length : lastNewline + 1;
      emit(mask(pending.slice(0, cut)));
      pending = pending.slice(cut);
    },
    flush(): void {
      if (pending.length > 0) emit(mask(pending));
      pending = '';
    },
  };
}

export function maskText(text: string, secrets: string[]): string {
  let masked = text;
  for (const secret of [...secrets].filter(Boolean).sort((a, b) => b.length - a.length)) masked = masked.split(secret).join(MASK);
  return masked;
}
