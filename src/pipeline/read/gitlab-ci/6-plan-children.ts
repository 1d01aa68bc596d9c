import type { JobSpec, PipelinePlan, ScriptJobSpec, TriggerJobSpec } from '../../plan.js';
import type { GitlabBridge } from './gitlab-ci-schema.js';
import { instancesIn, type DecidedPipeline, type ReadingContext, type ValidFile } from './gitlab-ci-file.js';

/** GitLab's limit: a child pipeline may start its own children, and those no further. */
const MAX_CHILD_DEPTH = 2;

/** Reads a child pipeline's configuration (its `include:` list) over the variables it is given. */
export type ReadChild = (text: string, variables: Record<string, string>) => PipelinePlan;

export interface PlannedChildren {
  /** The children's jobs, and the trigger jobs whose child an earlier job writes (read when they start). */
  jobs: JobSpec[];
  notes: string[];
}

/** The `include:` of a child pipeline made of the given files, or of an earlier job's artifact, as a reading's main text. */
export function childIncludeText(from: string[] | TriggerJobSpec['artifact']): string {
  if (!Array.isArray(from)) return `include:\n  - artifact: ${JSON.stringify(from.file)}\n    job: ${JSON.stringify(from.job)}\n`;
  return `include:\n${from.map((each) => `  - local: ${JSON.stringify(each)}\n`).join('')}`;
}

/**
 * A parent job's `needs` of a trigger job, as the jobs it stands for: with `strategy: depend`
 * the child's jobs (the trigger job ends with them), else none (it ends as the child starts);
 * a trigger job Slipway does not run holds nothing. A trigger job leaves no artifacts.
 */
function replaceBridgeNeeds(parentJobs: ScriptJobSpec[], children: readonly JobSpec[], bridges: ReadonlySet<string>): void {
  // A trigger job planned as itself (its child written by an earlier job) is needed as itself.
  const planned = new Set(children.filter((job) => job.kind === 'trigger').map((job) => job.name));
  const standsFor = (name: string) =>
    bridges.has(name) && !planned.has(name) ? children.filter((job) => job.downstream?.trigger === name && job.downstream.depend).map((job) => job.name) : [name];
  for (const job of children) {
    if (job.downstream?.triggerNeeds) job.downstream.triggerNeeds = job.downstream.triggerNeeds.flatMap(standsFor);
  }
  for (const job of parentJobs) {
    if (job.needs) job.needs = job.needs.flatMap(standsFor);
    if (job.artifactsFrom) job.artifactsFrom = job.artifactsFrom.filter((name) => !bridges.has(name));
  }
}

/**
 * What a child pipeline is made of: files of this commit, or one file an earlier job writes
 * (`artifact:` with its `job:`); else why it does not run.
 */
function childSource(bridge: GitlabBridge): string[] | TriggerJobSpec['artifact'] | string {
  const trigger = bridge.trigger;
  if (typeof trigger === 'string' || trigger.include === undefined) return 'it starts a pipeline of another project, which Slipway does not run';
  const entries = Array.isArray(trigger.include) ? trigger.include : [trigger.include];
  const artifacts = entries.flatMap((entry) => (typeof entry !== 'string' && entry.artifact !== undefined ? [{ job: entry.job!, file: entry.artifact }] : []));
  if (artifacts.length > 0) return artifacts.length === 1 && entries.length === 1 ? artifacts[0]! : 'its child pipeline mixes an artifact with other files: Slipway reads a generated child from its one artifact';
  const files = entries.map((entry) => (typeof entry === 'string' ? entry : entry.local));
  if (files.some((file) => file === undefined)) return 'its child pipeline includes a file of another project or a template: Slipway runs children made of this commit’s own files';
  return files as string[];
}

/**
 * The variables a child pipeline is given, as GitLab passes them down: the trigger job's own
 * and the file's top-level ones (`forward:yaml_variables`, on by default), over the child's.
 */
function passedDown(file: ValidFile, pipeline: DecidedPipeline, name: string, bridge: GitlabBridge): Record<string, string> {
  const trigger = typeof bridge.trigger === 'string' ? {} : bridge.trigger;
  if (trigger.forward?.yaml_variables === false) return {};
  const decision = pipeline.bridgeDecisions.get(name)!;
  return { ...pipeline.variables, ...bridge.variables, ...(decision.run ? decision.variables : {}) };
}

/**
 * A child's jobs as jobs of this pipeline: named `trigger » job`, in the trigger job's stage
 * (the engine starts them when the trigger job would start, see `prerequisitesOf`), each after
 * its own child's earlier jobs; taking artifacts only from its own child, as in GitLab.
 */
export function adopt(child: readonly JobSpec[], bridgeName: string, depend: boolean, stage: string, variables: Record<string, string>, triggerNeeds?: string[]): JobSpec[] {
  const renamed = (name: string) => `${bridgeName} » ${name}`;
  const stages = [...new Set(child.map((job) => job.stage))];
  return child.map((job): JobSpec => {
    const before = job.needs ?? child.filter((other) => stages.indexOf(other.stage) < stages.indexOf(job.stage)).map((other) => other.name);
    const downstream = { trigger: bridgeName, job: job.downstream?.job ?? job.name, depend, ...(triggerNeeds ? { triggerNeeds: [...triggerNeeds] } : {}) };
    const placed = { name: renamed(job.name), stage, needs: before.map(renamed), downstream };
    // Variables passed down outrank the child's own, as GitLab's trigger variables do.
    if (job.kind === 'trigger') return { ...job, ...placed, artifact: { ...job.artifact, job: renamed(job.artifact.job) }, variables: { ...job.variables, ...variables } };
    if (job.kind === 'build') return { ...job, ...placed };
    return { ...job, ...placed, artifactsFrom: (job.artifactsFrom ?? []).map(renamed), variables: { ...job.variables, ...variables } };
  });
}

/**
 * A trigger job's own `needs`, as names of the parent's jobs and trigger jobs (needs of jobs the
 * rules leave out drop away, as an optional need does); undefined when it has none.
 */
function bridgeNeeds(file: ValidFile, pipeline: DecidedPipeline, name: string, bridge: GitlabBridge, parentJobs: readonly ScriptJobSpec[]): string[] | undefined {
  const decision = pipeline.bridgeDecisions.get(name)!;
  const kept = new Set([...parentJobs.map((job) => job.name), ...[...pipeline.bridgeDecisions].filter(([, each]) => each.run).map(([bridgeName]) => bridgeName)]);
  return ((decision.run ? decision.needs : undefined) ?? bridge.needs)?.flatMap((need) => instancesIn(file, need.job, kept));
}

/**
 * A trigger job whose child an earlier job writes, planned as itself: it waits as a job of its
 * stage does (its `needs`, its `when`), and reads its child from the artifact when it starts.
 */
function generatedChildTrigger(
  file: ValidFile,
  pipeline: DecidedPipeline,
  trigger: { name: string; bridge: GitlabBridge; stage: string; depend: boolean; variables: Record<string, string>; depth: number },
  artifact: TriggerJobSpec['artifact'],
  parentJobs: readonly ScriptJobSpec[],
): TriggerJobSpec {
  const decision = pipeline.bridgeDecisions.get(trigger.name)!;
  const needs = bridgeNeeds(file, pipeline, trigger.name, trigger.bridge, parentJobs);
  const when = decision.run ? decision.when : 'on_success';
  const allowFailure = decision.run ? decision.allowFailure : undefined;
  return {
    kind: 'trigger',
    name: trigger.name,
    stage: trigger.stage,
    artifact,
    depend: trigger.depend,
    variables: trigger.variables,
    depth: trigger.depth + 1,
    ...(needs ? { needs } : {}),
    ...(when !== 'on_success' ? { when } : {}),
    ...(when === 'delayed' && decision.run && decision.startInSeconds !== undefined ? { startInSeconds: decision.startInSeconds } : {}),
    ...(allowFailure !== undefined ? { allowFailure } : {}),
  };
}

/**
 * Phase 6: each trigger job the rules keep whose `trigger:include` names files of this commit
 * becomes its child pipeline's jobs, read as GitLab reads a child (`CI_PIPELINE_SOURCE` is
 * `parent_pipeline`, the variables passed down beneath it). Others are listed as not run.
 */
export function planChildren(file: ValidFile, pipeline: DecidedPipeline, parentJobs: ScriptJobSpec[], context: ReadingContext, readChild: ReadChild | undefined, depth: number): PlannedChildren {
  const planned: PlannedChildren = { jobs: [], notes: [] };
  const notRun: string[] = [];
  for (const [name, bridge] of file.bridges) {
    const decision = pipeline.bridgeDecisions.get(name)!;
    if (!decision.run) continue;
    const source = childSource(bridge);
    const depend = typeof bridge.trigger !== 'string' && bridge.trigger.strategy === 'depend';
    const stage = bridge.stage ?? 'test';
    const why =
      typeof source === 'string'
        ? source
        : depth >= MAX_CHILD_DEPTH
          ? `a child pipeline nests no deeper than ${MAX_CHILD_DEPTH}, as in GitLab`
          : Array.isArray(source) && decision.when !== 'on_success' && decision.when !== 'always'
            ? `it is when: ${decision.when}, and Slipway starts child pipelines of the commit's files only by themselves`
            : readChild
              ? undefined
              : 'its files cannot be read here';
    if (why !== undefined || typeof source === 'string') {
      notRun.push(`\`${name}\` (${why})`);
      continue;
    }
    const variables = passedDown(file, pipeline, name, bridge);
    if (!Array.isArray(source)) {
      planned.jobs.push(generatedChildTrigger(file, pipeline, { name, bridge, stage, depend, variables, depth }, source, parentJobs));
      continue;
    }
    const child = readChild!(childIncludeText(source), { ...context.variables, ...variables, CI_PIPELINE_SOURCE: 'parent_pipeline' });
    if (child.skipped) {
      planned.notes.push(`The child pipeline of \`${name}\` runs nothing: ${child.skipped}.`);
      continue;
    }
    planned.jobs.push(...adopt(child.jobs, name, depend, stage, variables, bridgeNeeds(file, pipeline, name, bridge, parentJobs)));
    planned.notes.push(...(child.notes ?? []).map((note) => `In the child pipeline of \`${name}\`: ${note}`));
  }
  if (notRun.length > 0) planned.notes.push(`Trigger jobs not run: ${notRun.join(', ')}.`);
  replaceBridgeNeeds(parentJobs, planned.jobs, new Set(file.bridges.keys()));
  return planned;
}
