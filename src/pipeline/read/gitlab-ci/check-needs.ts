import type { GitlabJob } from './gitlab-ci-schema.js';

/** A job's own `needs` and those of its rules, each with where it is written. */
export function needLists(name: string, job: GitlabJob): Array<{ at: PropertyKey[]; needs: NonNullable<GitlabJob['needs']> }> {
  return [
    ...(job.needs ? [{ at: [name, 'needs'], needs: job.needs }] : []),
    ...(job.rules ?? []).flatMap((rule, index) => (rule.needs ? [{ at: [name, 'rules', index, 'needs'], needs: rule.needs }] : [])),
  ];
}

export interface NeedProblem {
  path: PropertyKey[];
  message: string;
}

/**
 * What GitLab refuses in `needs`, whatever the pipeline: a job needing itself, a job the file
 * does not have (unless optional), a job of a later stage, and needs that go round in a circle.
 */
export function checkNeeds(
  jobs: ReadonlyMap<string, GitlabJob>,
  /** The job a name stands for: a job's own name, or one of the names `parallel` gives it. */
  ownerOf: (name: string) => string | undefined,
  stageOf: (job: GitlabJob) => number,
  stageName: (job: GitlabJob) => string,
): NeedProblem[] {
  const problems: NeedProblem[] = [];
  for (const [name, job] of jobs) {
    for (const { at, needs } of needLists(name, job)) needs.forEach((need, index) => {
      const path = [...at, index];
      const owner = ownerOf(need.job);
      const needed = owner === undefined ? undefined : jobs.get(owner);
      if (owner === name) problems.push({ path, message: 'needs the job itself' });
      else if (!needed) {
        if (!need.optional) problems.push({ path, message: `needs "${need.job}", which is not a job in the file (mark it optional: true if it comes and goes)` });
      } else if (stageOf(needed) > stageOf(job)) {
        problems.push({ path, message: `needs "${need.job}", which is in the later stage "${stageName(needed)}"` });
      }
    });
  }
  if (problems.length > 0) return problems;

  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const loop = [...trail.slice(trail.indexOf(name)), name];
      problems.push({ path: [loop[0]!, 'needs'], message: `needs go round in a circle: ${loop.join(' -> ')}` });
      return;
    }
    state.set(name, 'visiting');
    const job = jobs.get(name);
    for (const need of job ? needLists(name, job).flatMap((list) => list.needs) : []) {
      const owner = ownerOf(need.job);
      if (owner !== undefined) visit(owner, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const name of jobs.keys()) if (problems.length === 0) visit(name, []);
  return problems;
}
