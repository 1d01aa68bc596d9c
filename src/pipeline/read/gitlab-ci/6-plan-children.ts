import type { PipelinePlan, ScriptJobSpec } from '../../plan.js';
import type { GitlabBridge } from './gitlab-ci-schema.js';
import type { DecidedPipeline, ReadingContext, ValidFile } from './gitlab-ci-file.js';

/** GitLab's limit: a child pipeline may start its own children, and those no further. */
const MAX_CHILD_DEPTH = 2;

/** Reads a child pipeline's configuration (its `include:` list) over the variables it is given. */
export type ReadChild = (text: string, variables: Record<string, string>) => PipelinePlan;

export interface PlannedChildren {
  jobs: ScriptJobSpec[];
  notes: string[];
}

/**
 * A parent job's `needs` of a trigger job, as the jobs it stands for: with `strategy: depend`
 * the child's jobs (the trigger job ends with them), else none (it ends as the child starts);
 * a trigger job Slipway does not run holds nothing. A trigger job leaves no artifacts.
 */
function replaceBridgeNeeds(parentJobs: ScriptJobSpec[], children: readonly ScriptJobSpec[], bridges: ReadonlySet<string>): void {
  const standsFor = (name: string) => (bridges.has(name) ? children.filter((job) => job.downstream?.trigger === name && job.downstream.depend).map((job) => job.name) : [name]);
  for (const job of parentJobs) {
    if (job.needs) job.needs = job.needs.flatMap(standsFor);
    if (job.artifactsFrom) job.artifactsFrom = job.artifactsFrom.filter((name) => !bridges.has(name));
  }
}

/** The files a child pipeline is made of, when every one is a file of this commit; else why it does not run. */
function localFiles(bridge: GitlabBridge): string[] | string {
  const trigger = bridge.trigger;
  if (typeof trigger === 'string' || trigger.include === undefined) return 'it starts a pipeline of another project, which Slipway does not run';
  const entries = Array.isArray(trigger.include) ? trigger.include : [trigger.include];
  const files = entries.map((entry) => (typeof entry === 'string' ? entry : entry.local));
  if (entries.some((entry) => typeof entry !== 'string' && entry.artifact !== undefined)) return 'its child pipeline comes from an artifact of an earlier job, which Slipway does not run yet';
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
function adopt(child: ScriptJobSpec[], bridgeName: string, depend: boolean, stage: string, variables: Record<string, string>): ScriptJobSpec[] {
  const renamed = (name: string) => `${bridgeName} » ${name}`;
  const stages = [...new Set(child.map((job) => job.stage))];
  return child.map((job) => {
    const before = job.needs ?? child.filter((other) => stages.indexOf(other.stage) < stages.indexOf(job.stage)).map((other) => other.name);
    return {
      ...job,
      name: renamed(job.name),
      stage,
      needs: before.map(renamed),
      artifactsFrom: (job.artifactsFrom ?? []).map(renamed),
      // Variables passed down outrank the child's own, as GitLab's trigger variables do.
      variables: { ...job.variables, ...variables },
      downstream: { trigger: bridgeName, job: job.downstream?.job ?? job.name, depend },
    };
  });
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
    const files = localFiles(bridge);
    const why =
      typeof files === 'string' ? files : depth >= MAX_CHILD_DEPTH ? `a child pipeline nests no deeper than ${MAX_CHILD_DEPTH}, as in GitLab` : decision.when !== 'on_success' && decision.when !== 'always' ? `it is when: ${decision.when}, and Slipway starts child pipelines only by themselves` : readChild ? undefined : 'its files cannot be read here';
    if (why !== undefined || typeof files === 'string') {
      notRun.push(`\`${name}\` (${why})`);
      continue;
    }
    const variables = passedDown(file, pipeline, name, bridge);
    const child = readChild!(`include:\n${files.map((each) => `  - local: ${JSON.stringify(each)}\n`).join('')}`, { ...context.variables, ...variables, CI_PIPELINE_SOURCE: 'parent_pipeline' });
    const stage = bridge.stage ?? 'test';
    if (child.skipped) {
      planned.notes.push(`The child pipeline of \`${name}\` runs nothing: ${child.skipped}.`);
      continue;
    }
    const depend = typeof bridge.trigger !== 'string' && bridge.trigger.strategy === 'depend';
    planned.jobs.push(...adopt(child.jobs as ScriptJobSpec[], name, depend, stage, variables));
    planned.notes.push(...(child.notes ?? []).map((note) => `In the child pipeline of \`${name}\`: ${note}`));
  }
  if (notRun.length > 0) planned.notes.push(`Trigger jobs not run: ${notRun.join(', ')}.`);
  replaceBridgeNeeds(parentJobs, planned.jobs, new Set(file.bridges.keys()));
  return planned;
}
