import type { GitlabJob } from './gitlab-ci-schema.js';

/** One job of a `parallel` one, as GitLab names it and with the variables it adds. */
export interface JobInstance {
  name: string;
  variables: Record<string, string>;
}

/** GitLab's own limit on the jobs one `parallel` makes. */
export const MAX_PARALLEL = 200;

export class ParallelError extends Error {}

/**
 * A job as the jobs it stands for: itself, or `test 1/3`, `test 2/3`… for `parallel: 3`, or
 * `build: [linux, amd64]`… for `parallel:matrix` (every combination of each entry's values,
 * in the order written), each with `CI_NODE_INDEX` and `CI_NODE_TOTAL`.
 */
/** Every combination of each entry's values, in the order written: `[[OS, linux], [ARCH, amd64]]`, … */
export function matrixCombinations(matrix: ReadonlyArray<Record<string, string | string[]>>): Array<Array<[string, string]>> {
  return matrix.flatMap((entry) =>
    Object.entries(entry).reduce<Array<Array<[string, string]>>>(
      (sofar, [variable, values]) => sofar.flatMap((combination) => (Array.isArray(values) ? values : [values]).map((value) => [...combination, [variable, value] as [string, string]])),
      [[]],
    ),
  );
}

export function instancesOf(name: string, parallel: GitlabJob['parallel']): JobInstance[] {
  if (parallel === undefined) return [{ name, variables: {} }];
  if (typeof parallel === 'number') {
    return Array.from({ length: parallel }, (_, index) => ({
      name: `${name} ${index + 1}/${parallel}`,
      variables: { CI_NODE_INDEX: String(index + 1), CI_NODE_TOTAL: String(parallel) },
    }));
  }
  const combinations = matrixCombinations(parallel.matrix);
  if (combinations.length > MAX_PARALLEL) throw new ParallelError(`makes ${combinations.length} jobs, more than GitLab's ${MAX_PARALLEL}`);
  return combinations.map((combination, index) => ({
    name: `${name}: [${combination.map(([, value]) => value).join(', ')}]`,
    variables: { ...Object.fromEntries(combination), CI_NODE_INDEX: String(index + 1), CI_NODE_TOTAL: String(combinations.length) },
  }));
}
