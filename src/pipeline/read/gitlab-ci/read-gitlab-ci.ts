import type { PipelinePlan, PlanOptions } from '../../plan.js';
import { resolveFile } from './1-resolve-file.js';
import { validateFile } from './2-validate.js';
import { decideRules } from './3-decide-rules.js';
import { planJobs } from './4-plan-jobs.js';
import { linkJobs } from './5-link-needs.js';
import { writeNotes } from './6-write-notes.js';
import { GITLAB_CI_FILE, type ReadingContext } from './gitlab-ci-file.js';
import type { Checkout } from './job-filters.js';
import type { IncludeSources } from './resolve-includes.js';

/**
 * Turns a `.gitlab-ci.yml` into a plan. `variables` are the pipeline's predefined ones, for
 * `rules` and `only`/`except`. What the file asks for and Slipway does not do comes back as
 * `notes` for the MR comment; mistakes that stop it from running throw with their lines.
 */
export function parseGitlabCiFile(text: string, variables: Record<string, string>, options: PlanOptions = {}, checkout?: Checkout, includes?: IncludeSources): PipelinePlan {
  const context: ReadingContext = { variables, options, checkout };
  const file = validateFile(resolveFile(text, context, includes), context);
  const pipeline = decideRules(file, context);
  if ('skipped' in pipeline) return { source: GITLAB_CI_FILE, jobs: [], skipped: pipeline.skipped };
  const jobs = planJobs(file, pipeline, context);
  linkJobs(file, pipeline, jobs);
  const notes = writeNotes(file, pipeline, jobs, context);
  // One daemon runs the whole pipeline, so its host must have every tag any of its jobs asks for.
  const tags = [...new Set([...file.jobs.values()].flatMap((job) => job.tags ?? file.globals.default?.tags ?? []))].sort();
  return { source: GITLAB_CI_FILE, ...(pipeline.name ? { name: pipeline.name } : {}), jobs, notes, ...(tags.length > 0 ? { tags } : {}) };
}
