import { describe, expect, it } from 'vitest';
import type { DeployJobContext } from '../../src/model/deployment.js';
import type { PipelinePlan, ScriptJobSpec } from '../../src/pipeline/plan.js';
import type { ReusedJob } from '../../src/pipeline/run/engine.js';
import { guessTier } from '../../src/pipeline/predefined-variables.js';
import { deployJobsFor, deployPlan } from '../../src/runner/deploy-plan.js';

const job = (name: string, stage: string, extra: Partial<ScriptJobSpec> = {}): ScriptJobSpec => ({ kind: 'script', name, stage, image: 'busybox', script: [`echo ${name}`], variables: {}, ...extra });
const held = (name: string, extra: Partial<ScriptJobSpec> = {}) => job(name, 'deploy', { waitsForDeploy: true, skipReason: 'waits for /deploy', ...extra });

const plan: PipelinePlan = {
  source: '.gitlab-ci.yml',
  jobs: [
    job('test', 'test'),
    job('lint', 'test', { when: 'manual', allowFailure: true }),
    job('build', 'build'),
    held('deploy-prod', { environment: { name: 'prod', action: 'start', url: 'https://prod.example.test' }, when: 'manual', allowFailure: true, variables: { REPLICAS: '3' } }),
    held('stop-prod', { environment: { name: 'prod', action: 'stop' }, when: 'manual' }),
    held('publish'),
    job('after', 'after'),
  ],
};
const passed = (name: string): [string, ReusedJob] => [name, { fromPipeline: '7', result: { status: 'passed', exitCode: 0, durationMs: 5 } }];
const tested = new Map([passed('test'), passed('build'), passed('after')]);
const context: DeployJobContext = { deploymentId: 12, environment: 'prod', action: 'start', image: 'registry.test/group/app@sha256:abc', digest: 'sha256:abc', variables: [] };

describe('a deployment’s plan', () => {
  it('runs the deploy jobs for the environment now and unable to fail, after what the tested pipeline left, and nothing else', () => {
    const planned = deployPlan(plan, context, tested);
    if (!planned.ok) throw new Error(planned.reason);

    expect(planned.plan.jobs.map((each) => each.name)).toEqual(['test', 'build', 'deploy-prod']);
    expect([...planned.reuse.keys()]).toEqual(['test', 'build']);
    const deploying = planned.plan.jobs[2] as ScriptJobSpec;
    expect(deploying.when).toBe('on_success');
    expect(deploying.skipReason).toBeUndefined();
    // A manual job's default allow_failure would let a failed deploy pass.
    expect(deploying.allowFailure).toBeUndefined();
    expect(deploying.variables).toEqual({
      CI_ENVIRONMENT_NAME: 'prod',
      CI_ENVIRONMENT_SLUG: 'prod',
      CI_ENVIRONMENT_ACTION: 'start',
      CI_ENVIRONMENT_TIER: 'production',
      CI_ENVIRONMENT_URL: 'https://prod.example.test',
      SLIPWAY_DEPLOY_IMAGE: 'registry.test/group/app@sha256:abc',
      SLIPWAY_DEPLOY_DIGEST: 'sha256:abc',
      SLIPWAY_DEPLOYMENT_ID: '12',
      REPLICAS: '3',
    });
  });

  it('takes the policy’s URL over the file’s, and runs the deploy stage’s jobs without an environment for any other', () => {
    const prod = deployPlan(plan, { ...context, url: 'https://policy.example.test' }, tested);
    const staging = deployPlan(plan, { ...context, environment: 'staging' }, tested);

    expect(prod.ok && (prod.plan.jobs.at(-1) as ScriptJobSpec).variables.CI_ENVIRONMENT_URL).toBe('https://policy.example.test');
    expect(staging.ok && staging.plan.jobs.map((each) => each.name)).toEqual(['test', 'build', 'publish']);
    expect(staging.ok && (staging.plan.jobs.at(-1) as ScriptJobSpec).variables).toMatchObject({ CI_ENVIRONMENT_NAME: 'staging', CI_ENVIRONMENT_TIER: 'staging' });
    expect(staging.ok && (staging.plan.jobs.at(-1) as ScriptJobSpec).variables).not.toHaveProperty('CI_ENVIRONMENT_URL');
  });

  it('is refused when the file has no job that deploys there', () => {
    const noDeployStage = { ...plan, jobs: plan.jobs.filter((each) => each.name !== 'publish') };

    expect(deployJobsFor(noDeployStage, 'qa')).toEqual([]);
    expect(deployPlan(noDeployStage, { ...context, environment: 'qa' }, tested)).toEqual({
      ok: false,
      reason: 'the pipeline file has no job that deploys to qa (one with environment: qa, or one of the deploy stage)',
    });
  });

  it('runs only the jobs that stop the environment for a stop, with action stop, dropping needs of jobs it leaves out', () => {
    const withNeeds = { ...plan, jobs: plan.jobs.map((each) => (each.name === 'stop-prod' ? { ...each, needs: ['deploy-prod', 'build'] } : each)) };
    const stopping = deployPlan(withNeeds, { ...context, action: 'stop' }, tested);
    if (!stopping.ok) throw new Error(stopping.reason);

    expect(stopping.plan.jobs.map((each) => each.name)).toEqual(['test', 'build', 'stop-prod']);
    const stop = stopping.plan.jobs[2] as ScriptJobSpec;
    expect(stop.needs).toEqual(['build']);
    expect(stop.variables).toMatchObject({ CI_ENVIRONMENT_NAME: 'prod', CI_ENVIRONMENT_ACTION: 'stop' });
    // A deploy stage's jobs without an environment serve any environment's start, never a stop.
    expect(deployPlan(plan, { ...context, environment: 'staging', action: 'stop' }, tested)).toEqual({
      ok: false,
      reason: 'the pipeline file has no job that stops staging (one with environment: {name: staging, action: stop})',
    });
  });

  it('guesses a tier from the name as GitLab does', () => {
    expect(['production', 'prod-eu', 'live', 'staging', 'pre-prod', 'qa', 'integration', 'review/feature', 'dev', 'sandbox'].map(guessTier)).toEqual([
      'production',
      'production',
      'production',
      'staging',
      'staging',
      'testing',
      'testing',
      'development',
      'development',
      'other',
    ]);
  });
});
