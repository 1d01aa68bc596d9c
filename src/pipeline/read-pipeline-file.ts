import { existsSync } from 'node:fs';
import path from 'node:path';
import { isMap } from 'yaml';
import { insideCheckout, readCheckoutFile } from './checkout-paths.js';
import { existsIn, listCheckout } from './gitlab-ci/checkout-globs.js';
import { GITLAB_CI_FILE, parseGitlabCiFile } from './gitlab-ci/read-gitlab-ci.js';
import type { FetchedInclude, IncludeSources } from './gitlab-ci/resolve-includes.js';
import { changedFiles } from './gitlab-ci/changed-files.js';
import { describeIssues, parseYamlFile, PipelineFileError, problemAt } from './pipeline-file-error.js';
import { PipelineFileSchema } from './pipeline-file-schema.js';
import type { JobSpec, PipelinePlan, PlanOptions, ScriptJobSpec } from './plan.js';
import { isDindService } from './services.js';

export const PIPELINE_FILE = '.slipway.yml';

/** Parses `.slipway.yml` text into a plan; `hasDockerfile` decides the default build job. */
export function parsePipelineFile(text: string, hasDockerfile: (dockerfile: string, context: string) => boolean, options: PlanOptions = {}): PipelinePlan {
  const yaml = parseYamlFile(PIPELINE_FILE, text);
  if (!isMap(yaml.document.contents) && yaml.document.contents !== null) {
    throw new PipelineFileError(PIPELINE_FILE, ['the file must be a mapping with test and build (line 1)']);
  }
  const parsed = PipelineFileSchema.safeParse(yaml.data);
  if (!parsed.success) throw new PipelineFileError(PIPELINE_FILE, describeIssues(yaml, parsed.error.issues));
  const file = parsed.data;
  const jobs: JobSpec[] = [];
  if (file.test) {
    const image = file.test.image ?? options.defaultImage;
    if (image === undefined) throw new PipelineFileError(PIPELINE_FILE, [problemAt(yaml, ['test'], 'has no image: set test.image, or start Slipway with SLIPWAY_DEFAULT_IMAGE', true)]);
    const services = (file.test.services ?? []).filter((service) => !isDindService(service.image));
    jobs.push({
      kind: 'script',
      name: 'test',
      stage: 'test',
      image,
      ...(file.test.image === undefined ? { imageFromDefault: true } : {}),
      ...(services.length > 0 ? { services } : {}),
      script: file.test.script,
      variables: file.test.variables ?? {},
      timeoutMs: file.test.timeout === undefined ? undefined : file.test.timeout * 1000,
    });
  }
  const build = file.build ?? { dockerfile: 'Dockerfile', context: '.', args: undefined };
  const explicitBuild = file.build !== undefined;
  if (build !== false && (explicitBuild || hasDockerfile(build.dockerfile, build.context))) {
    jobs.push({ kind: 'build', name: 'build', stage: 'build', dockerfile: build.dockerfile, context: build.context, buildArgs: build.args ?? {} });
  }
  if (jobs.length === 0) throw new PipelineFileError(PIPELINE_FILE, ['defines no test job and there is no Dockerfile to build']);
  return { source: PIPELINE_FILE, jobs };
}

/** Says in the MR comment which jobs ran in the server's default image, since their file does not. */
function withDefaultImageNote(plan: PipelinePlan): PipelinePlan {
  const jobs = plan.jobs.filter((job) => job.kind === 'script' && job.imageFromDefault && job.skipReason === undefined);
  if (jobs.length === 0) return plan;
  const image = (jobs[0] as ScriptJobSpec).image;
  const note = `${jobs.map((job) => `\`${job.name}\``).join(', ')} name${jobs.length === 1 ? 's' : ''} no image, so ${jobs.length === 1 ? 'it runs' : 'they run'} in \`${image}\` (the server's SLIPWAY_DEFAULT_IMAGE).`;
  return { ...plan, notes: [...(plan.notes ?? []), note] };
}

/**
 * The plan for a checked-out repository: its `.slipway.yml`; else its `.gitlab-ci.yml`, whose
 * `rules` are decided with `variables` (the pipeline's predefined ones); else a build-only
 * plan from its Dockerfile.
 */
export async function readPipelinePlan(
  sourceDir: string,
  variables: Record<string, string> = {},
  options: PlanOptions = {},
  fetched: ReadonlyMap<string, FetchedInclude> = new Map(),
): Promise<PipelinePlan> {
  const hasDockerfile = (dockerfile: string, context: string) => {
    const relative = insideCheckout(path.posix.join(context, dockerfile));
    return relative !== undefined && existsSync(path.join(sourceDir, relative));
  };
  const file = readCheckoutFile(sourceDir, PIPELINE_FILE);
  if (file !== undefined) return withDefaultImageNote(parsePipelineFile(file, hasDockerfile, options));
  const gitlabCi = readCheckoutFile(sourceDir, GITLAB_CI_FILE);
  if (gitlabCi !== undefined) {
    // Listed only if a rule (`exists`) or an include glob asks, and once.
    let files: string[] | undefined;
    const listed = () => (files ??= listCheckout(sourceDir));
    const checkout = { exists: (patterns: readonly string[]) => existsIn(listed())(patterns), ...changedFiles(variables, fetched) };
    const includes: IncludeSources = { readLocal: (name) => readCheckoutFile(sourceDir, name), localFiles: listed, fetched };
    return withDefaultImageNote(parseGitlabCiFile(gitlabCi, variables, options, checkout, includes));
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
