import type { ScriptJobSpec } from '../../plan.js';
import { PipelineFileError } from '../pipeline-file-error.js';
import { needLists } from './check-needs.js';
import { GITLAB_CI_FILE, instancesIn, needsOf, type DecidedPipeline, type ValidFile } from './gitlab-ci-file.js';

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
    spec.needs = declared.needs.flatMap((need, index) => {
      const names = instancesIn(file, need.job, inPipeline);
      if (names.length > 0) return names;
      if (!need.optional && file.owners.has(need.job)) {
        problems.push(file.problemIn([...declared.at, index], `needs "${need.job}", which is not in this pipeline (its rules leave it out): mark the need optional: true, or run both`));
      }
      return [];
    });
  }
  if (problems.length > 0) throw new PipelineFileError(GITLAB_CI_FILE, problems);
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
      spec.artifactsFrom = declared.filter((need) => need.artifacts !== false).flatMap((need) => instancesIn(file, need.job, inPipeline));
    } else {
      spec.artifactsFrom = planned.filter((other) => stageOf(other.stage) < stageOf(spec.stage)).map((other) => other.name);
    }
  }
  if (problems.length > 0) throw new PipelineFileError(GITLAB_CI_FILE, problems);
}

/** Phase 5: each planned job's needs and the jobs whose artifacts it receives, as names of jobs in this pipeline. */
export function linkJobs(file: ValidFile, pipeline: DecidedPipeline, planned: ScriptJobSpec[]): void {
  const inPipeline = new Set(planned.map((job) => job.name));
  linkNeeds(file, pipeline, planned, inPipeline);
  linkArtifacts(file, pipeline, planned, inPipeline);
}
