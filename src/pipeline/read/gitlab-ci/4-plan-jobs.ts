import type { ArtifactsSpec, CacheSpec, JobEnvironment, ScriptJobSpec } from '../../plan.js';
import { environmentSlug, expandVariables, guessTier } from '../../predefined-variables.js';
import { isDindService } from '../../services.js';
import { slashPattern } from '../../../util/safe-regex.js';
import { matchesPattern } from '../../../model/ref-patterns.js';
import { parseGitlabDuration } from './gitlab-duration.js';
import { PipelineFileError } from '../pipeline-file-error.js';
import { instanceVariables } from './3-decide-rules.js';
import { CACHE_POLICIES, type GitlabArtifacts, type GitlabCache } from './artifacts-cache-schema.js';
import { GITLAB_CI_FILE, needsOf, type DecidedPipeline, type Mapping, type ReadingContext, type ValidFile } from './gitlab-ci-file.js';
import type { GitlabJob } from './gitlab-ci-schema.js';
import type { Decision } from './job-filters.js';

/** The plan's `artifacts`, or undefined when they keep nothing. */
function artifactsSpec(artifacts: GitlabArtifacts | undefined): ArtifactsSpec | undefined {
  if (!artifacts) return undefined;
  const spec: ArtifactsSpec = {
    paths: artifacts.paths ?? [],
    exclude: artifacts.exclude ?? [],
    untracked: artifacts.untracked ?? false,
    when: artifacts.when ?? 'on_success',
    ...(artifacts.expire_in === undefined ? {} : { expireInSeconds: artifacts.expire_in }),
    ...(artifacts.name === undefined ? {} : { name: artifacts.name }),
    dotenv: artifacts.reports?.dotenv ?? [],
  };
  return spec.paths.length > 0 || spec.untracked || spec.dotenv.length > 0 ? spec : undefined;
}

/** One cache entry of the plan; its policy may be a variable, as in GitLab. A string is what is wrong with it. */
function cacheSpec(entry: GitlabCache[number], variables: Record<string, string>): CacheSpec | string | undefined {
  if (!entry.paths?.length && !entry.untracked) return undefined;
  const policy = expandVariables(entry.policy ?? 'pull-push', variables);
  if (!(CACHE_POLICIES as readonly string[]).includes(policy)) return `"${policy}" is not a cache policy: use ${CACHE_POLICIES.join(', ')}`;
  return {
    key: entry.key ?? 'default',
    paths: entry.paths ?? [],
    untracked: entry.untracked ?? false,
    policy: policy as CacheSpec['policy'],
    when: entry.when ?? 'on_success',
    fallbackKeys: entry.fallback_keys ?? [],
  };
}

/** A job instance's caches; what is wrong with one goes to `problems` with its line. */
function cachesOf(file: ValidFile, name: string, variables: Record<string, string>, problems: string[]): CacheSpec[] {
  const job = file.jobs.get(name)!;
  const { globals } = file;
  const listed = job.cache && Array.isArray((file.data[name] as Mapping).cache);
  return (job.cache ?? globals.default?.cache ?? globals.cache ?? []).flatMap((entry, index) => {
    const spec = cacheSpec(entry, variables);
    if (typeof spec !== 'string') return spec ? [spec] : [];
    problems.push(file.problemIn([name, 'cache', ...(listed ? [index] : []), 'policy'], spec));
    return [];
  });
}

function allowFailureOf(allowed: GitlabJob['allow_failure']): Pick<ScriptJobSpec, 'allowFailure'> {
  if (allowed === undefined || allowed === false) return {};
  return { allowFailure: allowed };
}

/** What the rule that matched adds to a job: its `when`, `allow_failure` and variables; or why the job is listed but skipped. */
function decided(job: GitlabJob, decision: Decision, heldForDeploy: string | undefined): Partial<ScriptJobSpec> {
  const skipReason = heldForDeploy ?? (decision.run ? undefined : decision.why);
  return {
    ...(heldForDeploy === undefined ? {} : { waitsForDeploy: true }),
    ...(decision.run ? { when: decision.when, ...allowFailureOf(decision.allowFailure ?? job.allow_failure) } : {}),
    ...(decision.run && decision.startInSeconds !== undefined ? { startInSeconds: decision.startInSeconds } : {}),
    ...(skipReason ? { skipReason } : {}),
    ...(needsOf(job, decision) ? { needs: needsOf(job, decision)!.map((need) => need.job) } : {}),
  };
}

/** One job instance as the plan states it: the file's defaults filled in, GitLab's names turned into the plan's. */
function jobSpec(file: ValidFile, name: string, instance: string, variables: Record<string, string>, decision: Decision, context: ReadingContext): ScriptJobSpec {
  const { options } = context;
  const job = file.jobs.get(name)!;
  const { globals } = file;
  // `docker:dind` asks for a Docker daemon, and every pipeline already has its own.
  const services = (job.services ?? globals.default?.services ?? globals.services ?? []).filter((service) => !isDindService(service.image));
  const image = job.image ?? globals.default?.image ?? globals.image;
  const stage = job.stage ?? 'test';
  const artifacts = artifactsSpec(job.artifacts ?? globals.default?.artifacts);
  const environment = job.environment && environmentOf(job.environment, { ...context.variables, ...variables });
  const held = heldForDeploy(job, options, environment?.name);
  // A review app's job runs here and hears of its environment as GitLab tells it; /deploy tells a held job when it releases it.
  const environmentVariables = environment && held === undefined ? variablesOfEnvironment(environment) : {};
  return {
    kind: 'script',
    name: instance,
    stage,
    image: image ?? options.defaultImage!,
    ...(image === undefined ? { imageFromDefault: true } : {}),
    ...(services.length > 0 ? { services } : {}),
    script: [...(job.before_script ?? globals.default?.before_script ?? globals.before_script ?? []), ...job.script],
    afterScript: job.after_script ?? globals.default?.after_script ?? globals.after_script,
    variables: { ...environmentVariables, ...variables, ...(decision.run ? decision.variables : {}) },
    dockerAccess: true,
    ...decided(job, decision, held),
    ...(environment === undefined ? {} : { environment }),
    ...(job.timeout === undefined ? {} : { timeoutMs: job.timeout * 1000 }),
    // The schema let only `/…/flags` through.
    ...(job.coverage === undefined ? {} : { coverage: slashPattern(job.coverage)! }),
    ...(job.retry && job.retry.max > 0 ? { retry: { max: job.retry.max, when: job.retry.when, ...(job.retry.exit_codes ? { exitCodes: job.retry.exit_codes } : {}) } } : {}),
    ...(artifacts ? { artifacts } : {}),
    interruptible: job.interruptible ?? globals.default?.interruptible ?? false,
    ...(job.resource_group === undefined ? {} : { resourceGroup: job.resource_group }),
  };
}

/** A job's `environment:` as the plan keeps it: name and URL expanded over the job's variables. */
function environmentOf(environment: NonNullable<GitlabJob['environment']>, variables: Record<string, string>): JobEnvironment {
  const name = expandVariables(environment.name, variables);
  // GitLab expands the URL with the environment's own variables too.
  const url = environment.url === undefined ? undefined : expandVariables(environment.url, { ...variables, CI_ENVIRONMENT_NAME: name, CI_ENVIRONMENT_SLUG: environmentSlug(name) });
  const autoStop = environment.auto_stop_in === undefined ? undefined : expandVariables(environment.auto_stop_in, variables).trim();
  const autoStopInSeconds = autoStop === undefined || autoStop === 'never' ? undefined : parseGitlabDuration(autoStop);
  return {
    name,
    action: environment.action ?? 'start',
    ...(url ? { url } : {}),
    ...(environment.deployment_tier ? { tier: environment.deployment_tier } : {}),
    ...(environment.on_stop ? { onStop: environment.on_stop } : {}),
    ...(autoStopInSeconds === undefined ? {} : { autoStopInSeconds }),
  };
}

/** GitLab's `CI_ENVIRONMENT_*` of a job that deploys (or stops) an environment in the pipeline. */
function variablesOfEnvironment(environment: JobEnvironment): Record<string, string> {
  return {
    CI_ENVIRONMENT_NAME: environment.name,
    CI_ENVIRONMENT_SLUG: environmentSlug(environment.name),
    CI_ENVIRONMENT_ACTION: environment.action,
    CI_ENVIRONMENT_TIER: environment.tier ?? guessTier(environment.name),
    ...(environment.url ? { CI_ENVIRONMENT_URL: environment.url } : {}),
  };
}

/**
 * Why a job waits for `/deploy` instead of running in the pipeline, or undefined when it runs
 * as GitLab runs it: it names an `environment:`, or it is in the stage the project's policy
 * names its deploy stage (only for projects with environments). A stage called `deploy` means
 * nothing by itself, as in GitLab.
 */
function heldForDeploy(job: GitlabJob, options: ReadingContext['options'], environment: string | undefined): string | undefined {
  // A review app's environment (`approval: none`) deploys in the pipeline, as in GitLab.
  if (environment !== undefined && matchesPattern(environment, options.reviewEnvironments ?? [])) return undefined;
  if (environment !== undefined) return `waits for /deploy: it deploys to environment ${environment}, and deploys go through /deploy after approval`;
  if (options.deployStage !== undefined && (job.stage ?? 'test') === options.deployStage) {
    return `waits for /deploy: it is in the ${options.deployStage} stage, the project's deploy stage in the deploy policy`;
  }
  return undefined;
}

/** Phase 4: a job spec for every instance the rules keep (or list as skipped), in stage order. */
export function planJobs(file: ValidFile, pipeline: DecidedPipeline, context: ReadingContext): ScriptJobSpec[] {
  const planned: ScriptJobSpec[] = [];
  const cacheProblems: string[] = [];
  for (const [name, instances] of file.instances) {
    for (const { name: instance } of instances) {
      const variables = instanceVariables(file, pipeline, name, instance);
      const caches = cachesOf(file, name, { ...context.variables, ...variables }, cacheProblems);
      const decision = pipeline.decisions.get(instance)!;
      if (!decision.run && !decision.listed) continue;
      const spec = jobSpec(file, name, instance, variables, decision, context);
      planned.push(caches.length > 0 ? { ...spec, cache: caches } : spec);
    }
  }
  if (cacheProblems.length > 0) throw new PipelineFileError(GITLAB_CI_FILE, cacheProblems);
  return planned.sort((a, b) => file.stages.indexOf(a.stage) - file.stages.indexOf(b.stage));
}
