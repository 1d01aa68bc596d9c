/** `950ms`, `12.3s`, `4m 05s`, `1h 02m`: short enough for a table cell. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** A wait as a person writes it (`30m`, `2h 30m`, `1d 2h`, `45s`): whole units, none that are zero. */
export function formatWait(seconds: number): string {
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]];
  let left = Math.round(seconds);
  const parts = units.flatMap(([unit, size]) => {
    const amount = Math.floor(left / size);
    left -= amount * size;
    return amount > 0 ? [`${amount}${unit}`] : [];
  });
  return parts.join(' ') || '0s';
}
