import type { ScriptJobSpec } from '../../plan.js';
import { PipelineFileError } from '../pipeline-file-error.js';
import { needLists } from './check-needs.js';
import { GITLAB_CI_FILE, instancesIn, needsOf, type DecidedPipeline, type ValidFile } from './gitlab-ci-file.js';
import { matrixCombinations } from './expand-parallel.js';
import type { GitlabJob } from './gitlab-ci-schema.js';

type Need = NonNullable<GitlabJob['needs']>[number];

/** GitLab's matrix expression: `$[[ matrix.ARCH ]]`, the needing job's own value of ARCH. */
const MATRIX_EXPRESSION = /\$\[\[\s*matrix\.([A-Za-z_][A-Za-z0-9_]*)\s*\]\]/g;

/**
 * The jobs a need names: every instance of a `parallel` job, or with `parallel:matrix` those
 * whose matrix values match one of its combinations, `$[[ matrix.NAME ]]` standing for the needing
 * job's own value. Null when the matrix is itself the mistake (an identifier the job's matrix does
 * not have, or values no instance has), which is then in `problems`.
 */
function neededInstances(file: ValidFile, need: Need, own: Record<string, string>, inPipeline: ReadonlySet<string>, at: PropertyKey[], problems: string[]): string[] | null {
  const instances = file.instances.get(need.job) ?? [{ name: need.job, variables: {} }];
  const present = (names: string[]) => names.filter((name) => inPipeline.has(name));
  if (!('parallel' in need) || need.parallel === undefined) return present(instances.map((instance) => instance.name));
  const unknown = new Set<string>();
  const wanted = matrixCombinations(need.parallel.matrix).map((combination) =>
    combination.map(([variable, value]) => [variable, value.replace(MATRIX_EXPRESSION, (_, name: string) => (Object.hasOwn(own, name) ? own[name]! : (unknown.add(name), '')))] as const),
  );
  const where = [...at, 'parallel', 'matrix'];
  for (const name of unknown) problems.push(file.problemIn(where, `uses $[[ matrix.${name} ]], but ${name} is not a variable of this job's parallel:matrix`));
  if (unknown.size > 0) return null;
  const matching = instances.filter((instance) => wanted.some((combination) => combination.every(([variable, value]) => instance.variables[variable] === value)));
  if (matching.length === 0) {
    problems.push(file.problemIn(where, `names no job of ${need.job}'s parallel:matrix (${wanted.map((combination) => combination.map(([variable, value]) => `${variable}=${value}`).join(' ')).join('; ')})`));
    return null;
  }
  return present(matching.map((instance) => instance.name));
}

/**
 * A need on a job this pipeline leaves out: dropped when optional, refused otherwise, as GitLab
 * does. A need on a `parallel` job is a need on every job it makes.
 */
function linkNeeds(file: ValidFile, pipeline: DecidedPipeline, planned: ScriptJobSpec[], inPipeline: ReadonlySet<string>): void {
  const problems: string[] = [];
  for (const spec of planned) {
    if (!spec.needs) continue;
    const ownerName = file.owners.get(spec.name)!;
    const owner = file.jobs.get(ownerName)!;
    const declared = needLists(ownerName, owner).find((list) => list.needs === needsOf(owner, pipeline.decisions.get(spec.name)!))!;
    const own = matrixOf(file, ownerName, spec.name);
    spec.needs = declared.needs.flatMap((need, index) => {
      const names = neededInstances(file, need, own, inPipeline, [...declared.at, index], problems);
      if (names === null) return [];
      if (names.length > 0) return names;
      if (!need.optional && file.owners.has(need.job)) {
        problems.push(file.problemIn([...declared.at, index], `needs "${need.job}", which is not in this pipeline (its rules leave it out): mark the need optional: true, or run both`));
      }
      return [];
    });
  }
  // Each instance of a job reads the same need: a mistake in it is named once.
  if (problems.length > 0) throw new PipelineFileError(GITLAB_CI_FILE, [...new Set(problems)]);
}

/** The matrix values of one instance of a job (none for a job without `parallel:matrix`). */
function matrixOf(file: ValidFile, job: string, instance: string): Record<string, string> {
  if (typeof file.jobs.get(job)?.parallel !== 'object') return {};
  const { CI_NODE_INDEX: _index, CI_NODE_TOTAL: _total, ...matrix } = file.instances.get(job)?.find((each) => each.name === instance)?.variables ?? {};
  return matrix;
}

/** Whose artifacts each job receives: `dependencies`, else its needs (but `artifacts: false`), else the earlier stages. */
function linkArtifacts(file: ValidFile, pipeline: DecidedPipeline, planned: ScriptJobSpec[], inPipeline: ReadonlySet<string>): void {
  const problems: string[] = [];
  const stageOf = (stage: string) => file.stages.indexOf(stage);
  for (const spec of planned) {
    const ownerName = file.owners.get(spec.name)!;
    const owner = file.jobs.get(ownerName)!;
    if (owner.dependencies !== undefined) {
      spec.artifactsFrom = owner.dependencies.flatMap((dependency, index) => {
        const dependencyOwner = file.jobs.get(dependency);
        // GitLab's own check: a job of this stage or an earlier one (the same stage only helps with needs).
        if (!dependencyOwner || stageOf(dependencyOwner.stage ?? 'test') > stageOf(spec.stage)) {
          problems.push(file.problemIn([ownerName, 'dependencies', index], `names "${dependency}", which is not a job of this stage or an earlier one: list jobs whose artifacts this job needs`));
          return [];
        }
        return instancesIn(file, dependency, inPipeline);
      });
    } else if (spec.needs) {
      const declared = needsOf(owner, pipeline.decisions.get(spec.name)!) ?? [];
      const own = matrixOf(file, ownerName, spec.name);
      // Mistakes in a need's matrix were named when its needs were linked.
      spec.artifactsFrom = declared.filter((need) => need.artifacts !== false).flatMap((need) => neededInstances(file, need, own, inPipeline, [], []) ?? []);
    } else {
      spec.artifactsFrom = planned.filter((other) => stageOf(other.stage) < stageOf(spec.stage)).map((other) => other.name);
    }
  }
  if (problems.length > 0) throw new PipelineFileError(GITLAB_CI_FILE, problems);
}

/** Phase 5: each planned job's needs and the jobs whose artifacts it receives, as names of jobs in this pipeline. */
export function linkJobs(file: ValidFile, pipeline: DecidedPipeline, planned: ScriptJobSpec[]): void {
  // A trigger job the rules keep may be needed too; phase 6 puts its child's jobs in its place.
  const bridges = [...pipeline.bridgeDecisions].filter(([, decision]) => decision.run).map(([name]) => name);
  const inPipeline = new Set([...planned.map((job) => job.name), ...bridges]);
  linkNeeds(file, pipeline, planned, inPipeline);
  linkArtifacts(file, pipeline, planned, inPipeline);
}
