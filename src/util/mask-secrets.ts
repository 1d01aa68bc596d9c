const MASK = '[masked]';

/**
 * Replaces secret values in streamed output. Text is held back until a line ends (or a
 * chunk grows long), so a secret split across two chunks is still caught.
 */
export function createMasker(secrets: string[], emit: (text: string) => void, maxPending = 64 * 1024) {
  const mask = masking(secrets);
  let pending = '';

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

/** A function that masks `secrets` in a text; the longest first, so one secret inside another is masked whole. */
function masking(secrets: string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((secret) => secret.length > 0))].sort((a, b) => b.length - a.length);
  return (text) => values.reduce((masked, secret) => masked.split(secret).join(MASK), text);
}

export function maskText(text: string, secrets: string[]): string {
  return masking(secrets)(text);
}
