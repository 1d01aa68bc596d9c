/** The problems a refusal lists: `read` must throw an error of `kind`, which carries them. */
export function refusalOf(kind: abstract new (...args: never[]) => Error & { problems: string[] }, read: () => unknown): string[] {
  try {
    read();
  } catch (error) {
    if (error instanceof kind) return error.problems;
    throw error;
  }
  throw new Error(`expected a ${kind.name}, and nothing was refused`);
}
