/** Seconds in each unit GitLab's durations are written with (`3h 30m`, `1 hour`, `90 minutes`). */
const UNITS: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
  w: 604800, wk: 604800, week: 604800, weeks: 604800,
  mo: 2592000, mos: 2592000, month: 2592000, months: 2592000,
  y: 31536000, yr: 31536000, yrs: 31536000, year: 31536000, years: 31536000,
};

/**
 * A duration as GitLab's `timeout` takes it: plain seconds (`3600`), or amounts with units
 * (`1h 30m`, `1 hour and 30 minutes`, `2 days`). Undefined when it is not one.
 */
export function parseGitlabDuration(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  let seconds = 0;
  const rest = trimmed.replace(/(\d+(?:\.\d+)?)\s*([a-z]+)/g, (_, amount: string, unit: string) => {
    const scale = UNITS[unit];
    if (scale === undefined) return '\u0000';
    seconds += Number(amount) * scale;
    return '';
  });
  if (rest.replace(/\band\b|[\s,]/g, '') !== '' || seconds <= 0) return undefined;
  return Math.round(seconds);
}
