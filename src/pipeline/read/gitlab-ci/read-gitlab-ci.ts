import type { PipelinePlan, PlanOptions, TriggerJobSpec } from '../../plan.js';
import { resolveFile } from './1-resolve-file.js';
import { validateFile } from './2-validate.js';
import { decideRules } from './3-decide-rules.js';
import { planJobs } from './4-plan-jobs.js';
import { linkJobs } from './5-link-needs.js';
import { adopt, childIncludeText, planChildren } from './6-plan-children.js';
import { writeNotes } from './7-write-notes.js';
import { GITLAB_CI_FILE, type ReadingContext } from './gitlab-ci-file.js';
import type { Checkout } from './job-filters.js';
import type { IncludeSources } from './resolve-includes.js';

/**
 * Turns a `.gitlab-ci.yml` into a plan. `variables` are the pipeline's predefined ones, for
 * `rules` and `only`/`except`. What the file asks for and Slipway does not do comes back as
 * `notes` for the MR comment; mistakes that stop it from running throw with their lines.
 */
export function parseGitlabCiFile(text: string, variables: Record<string, string>, options: PlanOptions = {}, checkout?: Checkout, includes?: IncludeSources, depth = 0): PipelinePlan {
  const context: ReadingContext = { variables, options, checkout };
  const file = validateFile(resolveFile(text, context, includes), context);
  const pipeline = decideRules(file, context);
  if ('skipped' in pipeline) return { source: GITLAB_CI_FILE, jobs: [], skipped: pipeline.skipped };
  const parentJobs = planJobs(file, pipeline, context);
  linkJobs(file, pipeline, parentJobs);
  const readChild = includes && ((childText: string, childVariables: Record<string, string>) => parseGitlabCiFile(childText, childVariables, options, checkout, includes, depth + 1));
  const children = planChildren(file, pipeline, parentJobs, context, readChild, depth);
  // A child's jobs sit in their trigger job's stage, after the parent's own jobs of it.
  const jobs = [...parentJobs, ...children.jobs].sort((a, b) => file.stages.indexOf(a.stage) - file.stages.indexOf(b.stage));
  const notes = [...writeNotes(file, pipeline, parentJobs, context), ...children.notes];
  // One daemon runs the whole pipeline, so its host must have every tag any of its jobs asks for.
  const tags = [...new Set([...file.jobs.values()].flatMap((job) => job.tags ?? file.globals.default?.tags ?? []))].sort();
  return { source: GITLAB_CI_FILE, ...(pipeline.name ? { name: pipeline.name } : {}), jobs, notes, ...(tags.length > 0 ? { tags } : {}) };
}

/**
 * The child pipeline a trigger job reads when it starts (`trigger:include:artifact`), from the
 * file it brought from the earlier job's artifacts: read as GitLab reads a child, over the
 * variables passed down, its jobs named and placed under the trigger job.
 */
export function parseGeneratedChild(trigger: TriggerJobSpec, artifactText: string, variables: Record<string, string>, options: PlanOptions, checkout: Checkout, includes: IncludeSources): PipelinePlan {
  const sources: IncludeSources = { ...includes, artifact: { ...trigger.artifact, text: artifactText } };
  const childVariables = { ...variables, ...trigger.variables, CI_PIPELINE_SOURCE: 'parent_pipeline' };
  const child = parseGitlabCiFile(childIncludeText(trigger.artifact), childVariables, options, checkout, sources, trigger.depth);
  if (child.skipped !== undefined) return child;
  return { ...child, jobs: adopt(child.jobs, trigger.name, trigger.depend, trigger.stage, trigger.variables) };
}
