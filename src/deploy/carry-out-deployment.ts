import type { DeployActionConfig, DirectAction, PolicyFile } from '../config/policy-file.js';
import type { Logger } from '../telemetry/logger.js';
import { parseImageReference } from '../registry/image-reference.js';
import type { RegistryClient } from '../registry/registry-client.js';
import type { DeploymentStore } from '../store/deployment-store.js';
import type { Deployment } from '../model/deployment.js';
import type { DeployDescription } from './actions/webhook-action.js';
import { describeLock, type VerifyImage } from './deploy-context.js';
import { refuse, type Checked } from '../model/refusal.js';
import type { DeployJobRunner } from './run-deploy-jobs.js';
import { describeDeployment } from './deploy-job-context.js';
import type { NamePeople } from './deploy-policy.js';
import type { DeployEvents } from './deploy-events.js';
import { environmentOf } from './resolve-environment.js';
import { environmentDigest, promoteImage, writeHistoryTag } from './promote-image.js';

export type RunAction = (action: DirectAction, deployment: DeployDescription) => Promise<string>;

export interface CarryOutOptions {
  store: DeploymentStore;
  policy: PolicyFile;
  registryFor(host: string): RegistryClient;
  runAction: RunAction;
  logger: Logger;
  events: DeployEvents;
  /** How a lock's holder is named in the failure message. */
  name: NamePeople;
  /** The image's signed provenance, checked again just before it goes out. */
  verifyImage?: VerifyImage;
  /** The pipeline file's deploy jobs: an environment whose action is `job`, or names none, runs them. */
  deployJobs?: DeployJobRunner;
}

/** How many times a deployment is claimed before it is given up on (each takeover after a crash counts). */
export const MAX_DEPLOY_ATTEMPTS = 3;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Carries out a deployment this runner has claimed: record what the environment runs, move
 * its tag, record that, run the action, record the outcome. Every step may be repeated by a
 * runner that takes over after a crash: the previous digest is read only once, and promoting
 * to the digest already there changes nothing.
 */
export async function carryOutDeployment(claimed: Deployment, owner: string, options: CarryOutOptions): Promise<Deployment | null> {
  const { store } = options;
  const image = parseImageReference(claimed.imageRef);
  const registry = options.registryFor(image.registry);

  /** The environment tag goes back to the digest recorded before the retag, so tag and records agree. */
  async function restore(deployment: Deployment): Promise<void> {
    if (!deployment.promotedAt && !deployment.previousRecorded) return;
    if (!deployment.previousDigest) return;
    const previous = deployment.previousDigest;
    await promoteImage(registry, image.repository, previous, previous, deployment.environment)
      .then(async () => writeHistoryTag(registry, image.repository, deployment.environment, previous, (await store.shaOfDigest(deployment.project, previous))?.sha ?? previous))
      .catch((error: unknown) => options.logger.error({ err: error, deploymentId: deployment.id }, 'could not restore the environment tag'));
  }

  async function fail(deployment: Deployment, reason: string): Promise<Deployment | null> {
    await restore(deployment);
    const failed = await store.finish(deployment.id, owner, 'failed', reason, { action: 'failed', detail: { reason } });
    if (!failed) return null;
    await options.events.emit({ type: 'changed', deployment: failed });
    return failed;
  }

  let deployment = claimed;
  if (deployment.attempts > MAX_DEPLOY_ATTEMPTS) {
    return fail(deployment, `the deploy was started ${MAX_DEPLOY_ATTEMPTS} times and never finished; the environment is back where it was`);
  }
  await options.events.emit({ type: 'changed', deployment });
  const environment = environmentOf(options.policy, deployment.project, deployment.environment)?.policy;
  if (!environment) return fail(deployment, `${deployment.project} no longer has an environment called ${deployment.environment} in SLIPWAY_CONFIG`);
  const lock = await store.getLock(deployment.project, deployment.environment);
  if (lock && !deployment.promotedAt && deployment.jobPipelineId === null) return fail(deployment, `${describeLock(deployment.environment, lock, options.name)} (locked after the approval)`);
  if (deployment.kind === 'stop') return stopEnvironment(deployment, owner, options, fail);
  if (!deployment.promotedAt && options.verifyImage) {
    const signed = await options.verifyImage({ project: deployment.project, pipelineId: deployment.pipelineId, imageRef: deployment.imageRef, digest: deployment.digest, branches: environment.branches }).catch((error: unknown) => refuse(`its provenance could not be read: ${messageOf(error)}`));
    if (!signed.ok) return fail(deployment, `the image was not promoted: ${signed.reason}`);
  }

  const action = await chooseAction(deployment, environment.action, options);
  if (!action.ok) return fail(deployment, action.reason);

  try {
    if (!deployment.previousRecorded) {
      deployment = (await store.recordPrevious(deployment.id, owner, await environmentDigest(registry, image.repository, deployment.environment))) ?? deployment;
    }
    // The tag the tested pipeline pushed (`:<sha>`, or a .gitlab-ci.yml job's `:<short sha>`), checked against its digest.
    const from = deployment.kind === 'rollback' ? deployment.digest : image.reference;
    await promoteImage(registry, image.repository, from, deployment.digest, deployment.environment);
    await writeHistoryTag(registry, image.repository, deployment.environment, deployment.digest, deployment.sha);
    deployment = (await store.markPromoted(deployment.id, owner)) ?? deployment;
  } catch (error) {
    return fail(deployment, messageOf(error));
  }

  let outcome: string;
  try {
    outcome = 'jobs' in action ? await runDeployJobs(deployment, action.jobs, options) : await options.runAction(action.action, describeDeployment(deployment));
  } catch (error) {
    return fail(deployment, messageOf(error));
  }
  const succeeded = await store.finish(deployment.id, owner, 'succeeded', null, {
    action: deployment.kind === 'rollback' ? 'rolled back' : 'deployed',
    detail: { previousDigest: deployment.previousDigest, outcome },
  });
  if (!succeeded) return null;
  if (succeeded.kind === 'rollback' && environment.lockAfterRollback) await lockAfterRollback(succeeded, options);
  await options.events.emit({ type: 'changed', deployment: succeeded });
  return succeeded;
}

/**
 * `/deploy stop`: the stop jobs of the commit deployed there run, and nothing else (no tag moves,
 * no action is called: stopping is what the file's stop job does). A failure leaves it running.
 */
async function stopEnvironment(deployment: Deployment, owner: string, options: CarryOutOptions, fail: (deployment: Deployment, reason: string) => Promise<Deployment | null>): Promise<Deployment | null> {
  const jobs = deployment.pipelineId !== null && options.deployJobs ? await options.deployJobs.jobsFor(deployment.pipelineId, deployment.environment, 'stop') : [];
  if (jobs.length === 0) return fail(deployment, `pipeline #${deployment.pipelineId ?? '?'} has no job that stops ${deployment.environment}`);
  let outcome: string;
  try {
    outcome = await runDeployJobs(deployment, jobs, options);
  } catch (error) {
    return fail(deployment, messageOf(error));
  }
  const stopped = await options.store.finish(deployment.id, owner, 'succeeded', null, { action: 'stopped', detail: { outcome } });
  if (stopped) await options.events.emit({ type: 'changed', deployment: stopped });
  return stopped;
}

/** What a deploy does once the tag moved: the file's deploy jobs, or the policy's action; refused when `job` finds none. */
async function chooseAction(deployment: Deployment, configured: DeployActionConfig | undefined, options: CarryOutOptions): Promise<Checked<{ action: DirectAction } | { jobs: string[] }>> {
  if (configured && configured.type !== 'job') return { ok: true, action: configured };
  const jobs = deployment.pipelineId !== null && options.deployJobs ? await options.deployJobs.jobsFor(deployment.pipelineId, deployment.environment) : [];
  if (jobs.length > 0) return { ok: true, jobs };
  if (configured?.type !== 'job') return { ok: true, action: { type: 'none' } };
  const tested = deployment.pipelineId === null ? 'the commit has no tested pipeline' : `pipeline #${deployment.pipelineId} has no job that deploys there`;
  const env = deployment.environment;
  return refuse(`${env}'s action is job, but ${tested}: add a job with environment: ${env} (or one in the deploy stage) to the pipeline file, or give ${env} another action in SLIPWAY_CONFIG`);
}

/** Runs the file's deploy jobs in the deployment's own pipeline; chat hears of it as soon as it is queued. */
async function runDeployJobs(deployment: Deployment, jobs: string[], options: CarryOutOptions): Promise<string> {
  const ran = await options.deployJobs!.run({ ...deployment, pipelineId: deployment.pipelineId! }, async () => {
    const queued = await options.store.get(deployment.id);
    if (queued) await options.events.emit({ type: 'changed', deployment: queued });
  });
  if (!ran.ok) throw new Error(ran.reason);
  return `the ${deployment.kind === 'stop' ? 'stop' : 'deploy'} job${jobs.length > 1 ? 's' : ''} ${jobs.join(', ')} passed in pipeline #${ran.pipelineId}`;
}

/** `lockAfterRollback`: the rolled-back-from commit must not go out again by accident. */
async function lockAfterRollback(deployment: Deployment, options: CarryOutOptions): Promise<void> {
  const from = deployment.previousDigest ? ((await options.store.shaOfDigest(deployment.project, deployment.previousDigest))?.sha ?? deployment.previousDigest) : 'the previous image';
  const reason = `locked after the rollback to ${deployment.sha.slice(0, 12)} (from ${from.replace(/^sha256:/, '').slice(0, 12)}): fix forward, then /deploy unlock ${deployment.environment}`;
  const { locked, lock } = await options.store.lock(deployment.project, deployment.environment, deployment.decidedBy ?? 'slipway', reason);
  if (locked) await options.store.audit({ actor: 'slipway', action: 'locked', project: deployment.project, environment: deployment.environment, deploymentId: deployment.id, detail: { reason: lock.reason } });
}
