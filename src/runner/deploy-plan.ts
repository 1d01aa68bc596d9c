import { refuse, type Checked } from '../model/refusal.js';
import { jobsDeployingTo, type DeployJobContext, type EnvironmentAction } from '../model/deployment.js';
import type { JobSpec, PipelinePlan, ScriptJobSpec } from '../pipeline/plan.js';
import { environmentSlug, guessTier } from '../pipeline/predefined-variables.js';
import { prerequisitesOf, type ReusedJob } from '../pipeline/run/engine.js';

/** The variable a deploy job finds the promoted image in, pinned by digest. */
const DEPLOY_IMAGE_VARIABLE = 'SLIPWAY_DEPLOY_IMAGE';

/** The plan's jobs that deploy to (or stop) the environment (see `jobsDeployingTo`). */
export function deployJobsFor(plan: PipelinePlan, environment: string, action: EnvironmentAction = 'start'): ScriptJobSpec[] {
  return jobsDeployingTo(plan.jobs.filter((job): job is ScriptJobSpec => job.kind === 'script' && job.waitsForDeploy === true), environment, action);
}

/** GitLab's `CI_ENVIRONMENT_*` for one deploy job, and the promoted image. */
function deployVariablesOf(job: ScriptJobSpec, context: DeployJobContext): Record<string, string> {
  const url = context.url ?? job.environment?.url;
  return {
    CI_ENVIRONMENT_NAME: context.environment,
    CI_ENVIRONMENT_SLUG: environmentSlug(context.environment),
    CI_ENVIRONMENT_ACTION: context.action,
    CI_ENVIRONMENT_TIER: job.environment?.tier ?? guessTier(context.environment),
    ...(url ? { CI_ENVIRONMENT_URL: url } : {}),
    [DEPLOY_IMAGE_VARIABLE]: context.image,
    SLIPWAY_DEPLOY_DIGEST: context.digest,
    SLIPWAY_DEPLOYMENT_ID: String(context.deploymentId),
  };
}

/**
 * A held job, as a deploy runs it: now, once what it waits for passed, and never allowed to fail
 * (its exit decides the deploy). A `needs` of a job this pipeline leaves out (another held job)
 * is dropped, as for a job whose needs were never planned.
 */
function released(job: ScriptJobSpec, context: DeployJobContext, kept: ReadonlySet<string>): ScriptJobSpec {
  const { skipReason: _held, allowFailure: _allowed, startInSeconds: _delay, needs, ...rest } = job;
  return { ...rest, ...(needs ? { needs: needs.filter((name) => kept.has(name)) } : {}), when: 'on_success', variables: { ...deployVariablesOf(job, context), ...job.variables } };
}

/**
 * The plan of a deployment's pipeline: the file's deploy jobs for the environment, after the
 * jobs they wait for as the tested pipeline left them (results, artifacts, dotenv). Nothing
 * else runs. Refused when the file at that commit has no deploy job for the environment.
 */
export function deployPlan(plan: PipelinePlan, context: DeployJobContext, tested: ReadonlyMap<string, ReusedJob>): Checked<{ plan: PipelinePlan; reuse: Map<string, ReusedJob> }> {
  const deploying = new Set(deployJobsFor(plan, context.environment, context.action).map((job) => job.name));
  if (deploying.size === 0) {
    return refuse(
      context.action === 'stop'
        ? `the pipeline file has no job that stops ${context.environment} (one with environment: {name: ${context.environment}, action: stop})`
        : `the pipeline file has no job that deploys to ${context.environment} (one with environment: ${context.environment}, or one of the deploy stage)`,
    );
  }
  const prerequisites = prerequisitesOf(plan.jobs);
  const kept = new Set(deploying);
  // Walk back through what the deploy jobs wait for; only finished results can stand.
  const walk = (index: number) => {
    for (const before of prerequisites[index]!) {
      const name = plan.jobs[before]!.name;
      if (kept.has(name) || !tested.has(name)) continue;
      kept.add(name);
      walk(before);
    }
  };
  plan.jobs.forEach((job, index) => deploying.has(job.name) && walk(index));
  const jobs: JobSpec[] = plan.jobs.filter((job) => kept.has(job.name)).map((job) => (deploying.has(job.name) ? released(job as ScriptJobSpec, context, kept) : job));
  const reuse = new Map([...tested].filter(([name]) => kept.has(name) && !deploying.has(name)));
  return { ok: true, plan: { ...plan, jobs }, reuse };
}
