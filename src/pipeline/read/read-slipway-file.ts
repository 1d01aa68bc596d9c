import { isMap } from 'yaml';
import { describeIssues, parseYamlFile, PipelineFileError, problemAt } from './pipeline-file-error.js';
import { PipelineFileSchema } from './slipway-file-schema.js';
import type { JobSpec, PipelinePlan, PlanOptions } from '../plan.js';
import { isDindService } from '../services.js';

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
