import { compileSafeRegex } from '../../util/safe-regex.js';

/**
 * Reads a job's coverage from its output as GitLab does: the last line the pattern matches
 * gives it, as the first number in the match (or in its first group). Fed the masked output
 * chunk by chunk; lines are matched whole.
 */
export function createCoverageReader(pattern: { source: string; flags: string }) {
  const regex = compileSafeRegex(pattern.source, pattern.flags);
  let partial = '';
  let coverage: number | undefined;
  const readLine = (line: string) => {
    const matched = regex.match(line);
    const number = matched === undefined ? null : /\d+(?:\.\d+)?/.exec(matched);
    if (number) coverage = Number(number[0]);
  };
  return {
    write(text: string): void {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(readLine);
    },
    value(): number | undefined {
      if (partial) readLine(partial);
      partial = '';
      return coverage;
    },
  };
}
