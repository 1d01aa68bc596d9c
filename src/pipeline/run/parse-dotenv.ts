/** GitLab's bounds on a `reports:dotenv` file. */
export const MAX_DOTENV_BYTES = 5 * 1024;
export const MAX_DOTENV_VARIABLES = 50;

/**
 * A `reports:dotenv` file as GitLab reads it: one `NAME=value` per line (blank lines and `#`
 * comments aside), names of letters, digits and `_`, the value taken as written (trimmed).
 * Returns the variables, or what is wrong with the file.
 */
export function parseDotenv(text: string): { variables: Record<string, string> } | { error: string } {
  if (Buffer.byteLength(text) > MAX_DOTENV_BYTES) return { error: `is larger than ${MAX_DOTENV_BYTES} bytes` };
  const variables: Record<string, string> = {};
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const equals = line.indexOf('=');
    const name = equals === -1 ? '' : line.slice(0, equals).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return { error: `line ${index + 1} is not NAME=value` };
    Object.defineProperty(variables, name, { value: line.slice(equals + 1).trim(), enumerable: true, writable: true, configurable: true });
  }
  if (Object.keys(variables).length > MAX_DOTENV_VARIABLES) return { error: `has more than ${MAX_DOTENV_VARIABLES} variables` };
  return { variables };
}
