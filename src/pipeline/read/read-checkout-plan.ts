import { existsSync } from 'node:fs';
import path from 'node:path';
import { insideCheckout } from '../../util/checkout-paths.js';
import { existsIn, listCheckout } from '../../util/checkout-globs.js';
import type { PipelinePlan, PlanOptions, ScriptJobSpec, TriggerJobSpec } from '../plan.js';
import { changedFiles } from './gitlab-ci/changed-files.js';
import { GITLAB_CI_FILE } from './gitlab-ci/gitlab-ci-file.js';
import { parseGeneratedChild, parseGitlabCiFile } from './gitlab-ci/read-gitlab-ci.js';
import type { FetchedInclude, IncludeSources } from './gitlab-ci/resolve-includes.js';
import { PipelineFileError } from './pipeline-file-error.js';
import { readCheckoutFile } from './read-checkout-file.js';
import { parsePipelineFile, PIPELINE_FILE } from './read-slipway-file.js';

/** Says in the MR comment which jobs ran in the server's default image, since their file does not. */
function withDefaultImageNote(plan: PipelinePlan): PipelinePlan {
  const jobs = plan.jobs.filter((job) => job.kind === 'script' && job.imageFromDefault && job.skipReason === undefined);
  if (jobs.length === 0) return plan;
  const image = (jobs[0] as ScriptJobSpec).image;
  const note = `${jobs.map((job) => `\`${job.name}\``).join(', ')} name${jobs.length === 1 ? 's' : ''} no image, so ${jobs.length === 1 ? 'it runs' : 'they run'} in \`${image}\` (the server's SLIPWAY_DEFAULT_IMAGE).`;
  return { ...plan, notes: [...(plan.notes ?? []), note] };
}

/** A trigger job's child, to be read from the file it brought from an earlier job's artifacts. */
export interface GeneratedChild {
  trigger: TriggerJobSpec;
  text: string;
}

/**
 * The plan for a checked-out repository: its `.slipway.yml`; else its `.gitlab-ci.yml`, whose
 * `rules` are decided with `variables` (the pipeline's predefined ones); else a build-only
 * plan from its Dockerfile.
 */
export async function readCheckoutPlan(
  sourceDir: string,
  variables: Record<string, string> = {},
  options: PlanOptions = {},
  fetched: ReadonlyMap<string, FetchedInclude> = new Map(),
  generated?: GeneratedChild,
): Promise<PipelinePlan> {
  const hasDockerfile = (dockerfile: string, context: string) => {
    const relative = insideCheckout(path.posix.join(context, dockerfile));
    return relative !== undefined && existsSync(path.join(sourceDir, relative));
  };
  const file = generated ? undefined : readCheckoutFile(sourceDir, PIPELINE_FILE);
  if (file !== undefined) return withDefaultImageNote(parsePipelineFile(file, hasDockerfile, options));
  const gitlabCi = readCheckoutFile(sourceDir, GITLAB_CI_FILE);
  if (gitlabCi !== undefined || generated) {
    // Listed only if a rule (`exists`) or an include glob asks, and once.
    let files: string[] | undefined;
    const listed = () => (files ??= listCheckout(sourceDir));
    const checkout = { exists: (patterns: readonly string[]) => existsIn(listed())(patterns), ...changedFiles(variables, fetched) };
    const includes: IncludeSources = { readLocal: (name) => readCheckoutFile(sourceDir, name), localFiles: listed, fetched };
    if (generated) return withDefaultImageNote(parseGeneratedChild(generated.trigger, generated.text, variables, options, checkout, includes));
    return withDefaultImageNote(parseGitlabCiFile(gitlabCi!, variables, options, checkout, includes));
  }
  if (hasDockerfile('Dockerfile', '.')) {
    return {
      source: 'Dockerfile',
      jobs: [{ kind: 'build', name: 'build', stage: 'build', dockerfile: 'Dockerfile', context: '.', buildArgs: {} }],
    };
  }
  throw new PipelineFileError(PIPELINE_FILE, [
    `not found, and there is no ${GITLAB_CI_FILE} or Dockerfile either: add a ${PIPELINE_FILE}, a ${GITLAB_CI_FILE} or a Dockerfile`,
  ]);
}
