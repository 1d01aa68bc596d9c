import { RE2JS } from 're2js';

/**
 * A regular expression from a pipeline file, run by RE2's algorithm (as GitLab itself runs
 * them): matching takes time linear in the input, so no pattern a branch writes can stall
 * the process, whatever the branch name it is matched against.
 */
export interface SafeRegex {
  source: string;
  flags: string;
  test(input: string): boolean;
  /** The first capture group of the first match, or the whole match when there is no group. */
  match(input: string): string | undefined;
  toString(): string;
}

export class RegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegexError';
  }
}

const FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL };

/**
 * Ruby's `\Z` (end, or before a final newline), which GitLab's `only`/`except` patterns are
 * written with, in RE2's words; any other escape is left as it is.
 */
function fromRubySyntax(source: string): string {
  return source.replace(/\\(.)/gs, (escape, char: string) => (char === 'Z' ? '(?:\n?\\z)' : escape));
}

/** `/source/flags` as pipeline files write patterns, split; undefined for any other text. */
export function slashPattern(text: string): { source: string; flags: string } | undefined {
  const written = /^\/(.*)\/([a-z]*)$/s.exec(text);
  return written ? { source: written[1]!, flags: written[2]! } : undefined;
}

export function compileSafeRegex(source: string, flags = ''): SafeRegex {
  let bits = 0;
  for (const flag of flags) {
    const bit = FLAGS[flag];
    if (bit === undefined) throw new RegexError(`/${source}/${flags} has the flag "${flag}", which GitLab does not take: use i, m or s`);
    bits |= bit;
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(fromRubySyntax(source), bits);
  } catch (error) {
    throw new RegexError(`/${source}/${flags} is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    source,
    flags,
    test: (input) => compiled.matcher(input).find(),
    match(input) {
      const matcher = compiled.matcher(input);
      if (!matcher.find()) return undefined;
      return (matcher.groupCount() > 0 ? matcher.group(1) : matcher.group()) ?? undefined;
    },
    toString: () => `/${source}/${flags}`,
  };
}
