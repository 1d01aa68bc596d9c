import type { PipelineFacts } from '../model/pipeline-facts.js';
import { combineObservers } from '../pipeline/run/combine-observers.js';
import { runPipeline, type ImageResult, type PipelineObserver, type PipelineResult, type PipelineRun } from '../pipeline/run/engine.js';
import type { Executor } from '../pipeline/executor.js';
import { repositoryPath } from '../pipeline/image-names.js';
import type { PlanOptions } from '../pipeline/plan.js';
import type { CiVariable } from '../model/ci-variable.js';
import type { ArtifactSettings } from '../pipeline/artifact-store.js';
import type { ResourceGroups } from '../pipeline/resource-groups.js';
import type { PipelineStore, RecordedPipeline } from '../store/pipeline-store.js';
import type { Attestation } from '../provenance/attest-image.js';
import type { Logger } from '../telemetry/logger.js';
import { recordPipeline } from './record-pipeline.js';
import type { DeployJobContext } from '../model/deployment.js';

/** What running any pipeline needs, whichever command runs it. */
export interface PipelineFacilities {
  executor: Executor;
  /** Values masked in every line of output (forks get them masked too, never given). */
  secrets: string[];
  jobTimeoutMs: number;
  logger: Logger;
  /** What the server decides about every plan (the default image). */
  planOptions: PlanOptions;
  /** The project's CI/CD variables this pipeline may have (none for a fork); absent without a database. */
  variablesFor?: (facts: PipelineFacts) => Promise<CiVariable[]>;
  /** Where `resource_group` jobs take turns (PostgreSQL locks, or this process alone). */
  resourceGroups?: ResourceGroups;
  /** Where jobs keep artifacts and caches. */
  artifacts?: Omit<ArtifactSettings, 'cacheScope'>;
  /**
   * The trust a pipeline runs at (`fork`, `protected`, `unprotected`): it shares caches and
   * seeded daemons only with pipelines of the same project at the same trust.
   */
  trustScopeFor?(facts: PipelineFacts): string;
  /**
   * The image a pipeline pushed itself (a `.gitlab-ci.yml` build job), so `/deploy` can promote
   * it: with registry notifications, only what the registry reports this pipeline pushed.
   */
  findPushedImage?: (facts: PipelineFacts, repository: string, tags: string[]) => Promise<{ ref: string; digest: string } | null>;
  /**
   * Which cache images a protected pipeline may build from: none whose tag an unprotected pipeline
   * wrote last (as the registry reported), even in the moment before it is put back.
   */
  trustedCache?: (candidates: string[]) => Promise<string[]>;
  /** Signs the provenance of the image a pipeline passed with, beside it in the registry. */
  attest?: (attestation: Attestation) => Promise<void>;
}

/** The engine's run of one pipeline (what the facilities add is theirs to give), and where it is recorded. */
export interface PipelineExecution extends Pick<PipelineRun, 'facts' | 'sourceDir' | 'plan' | 'pushAllowed' | 'jobToken' | 'reuse' | 'played' | 'unscheduled' | 'readChild'> {
  /** Where the pipeline is recorded, with the claim that may finish it; absent for an unrecorded `slipway run`. */
  record?: { store: PipelineStore; recorded: RecordedPipeline; owner: string };
  /** Told of every job's start, output and end, beside the recorder. */
  observer?: PipelineObserver;
  signal?: AbortSignal;
  /** An approved deployment's run of the file's deploy jobs: the environment's variables join the pipeline's; it signs nothing. */
  deploy?: Pick<DeployJobContext, 'variables'>;
}

/**
 * Runs a pipeline whose source and plan are ready, the one way `slipway serve`, `slipway worker`
 * and `slipway run` all do: jobs and logs recorded as they happen, a fork's builds skipped
 * unless it may push, the image a job pushed itself looked up, and the result recorded under
 * the claim. `finished` is false when the result was not recorded (no store, or the claim was lost).
 */
export async function executePipeline(execution: PipelineExecution, facilities: PipelineFacilities): Promise<{ result: PipelineResult; finished: boolean }> {
  const { facts, plan, record } = execution;
  const recorder = record ? recordPipeline(record.store, record.recorded) : undefined;
  const observers = [recorder?.observer, execution.observer].filter((observer): observer is PipelineObserver => observer !== undefined);
  const scope = facilities.trustScopeFor?.(facts) ?? (facts.fromFork ? 'fork' : 'unprotected');
  const startedOn = new Date();
  let result = await runPipeline(
    {
      facts,
      sourceDir: execution.sourceDir,
      plan,
      pushAllowed: execution.pushAllowed,
      secrets: facilities.secrets,
      jobTimeoutMs: facilities.jobTimeoutMs,
      jobToken: execution.jobToken,
      // The environment's own variables come after the project's, as GitLab's environment scope wins.
      variables: [...((await facilities.variablesFor?.(facts)) ?? []), ...(execution.deploy?.variables ?? [])],
      ...(facilities.resourceGroups ? { resourceGroups: facilities.resourceGroups } : {}),
      ...(facilities.artifacts ? { artifacts: { ...facilities.artifacts, cacheScope: scope } } : {}),
      affinity: `${facts.forge}:${facts.project} ${scope}`,
      ...(scope === 'fork' || scope === 'unprotected' || scope === 'protected' ? { trust: scope } : {}),
      ...(scope === 'protected' && facilities.trustedCache ? { trustedCache: facilities.trustedCache } : {}),
      ...(execution.reuse ? { reuse: execution.reuse } : {}),
      ...(execution.played ? { played: execution.played } : {}),
      ...(execution.unscheduled ? { unscheduled: execution.unscheduled } : {}),
      ...(execution.readChild ? { readChild: execution.readChild } : {}),
      ...(execution.pushAllowed ? {} : { skipJobs: Object.fromEntries(plan.jobs.filter((job) => job.kind === 'build').map((job) => [job.name, 'skipped: forks push no image'])) }),
    },
    facilities.executor,
    combineObservers(...observers),
    execution.signal,
  );
  await recorder?.settled();
  // A deployment's image is the tested pipeline's, already signed: a deploy looks up and signs nothing.
  const deploying = execution.deploy !== undefined;
  if (!deploying && result.status === 'passed' && !result.image && execution.pushAllowed && !plan.jobs.some((job) => job.kind === 'build') && facilities.findPushedImage) {
    result = { ...result, image: await pushedImage(facts, facilities) };
  }
  if (!deploying && result.status === 'passed' && result.image?.pushed && result.image.digest && facilities.attest && facts.forge !== 'local') {
    const builtBy = plan.jobs.find((job) => job.kind === 'build')?.name ?? null;
    const image = { ref: result.image.ref, digest: result.image.digest };
    // A pipeline whose image cannot be signed has not produced a deployable image: it says so.
    await facilities.attest({ facts, image, protectedRef: scope === 'protected', sourceDir: execution.sourceDir, job: builtBy, startedOn, finishedOn: new Date() }).catch((error: unknown) => {
      facilities.logger.error({ err: error, pipelineId: facts.id }, 'could not sign the image’s provenance');
      result = { ...result, status: 'failed', error: `the image's provenance could not be signed and stored: ${error instanceof Error ? error.message : String(error)}` };
    });
  }
  const finished = record ? await record.store.finish(record.recorded.id, result, record.owner) : false;
  return { result, finished };
}

/** `:<sha>` or GitLab's `:<short sha>`, as a `.gitlab-ci.yml` build job tags it. */
async function pushedImage(facts: PipelineFacts, facilities: PipelineFacilities): Promise<ImageResult | null> {
  const repository = repositoryPath(facts.project);
  const tags = [facts.sha, facts.sha.slice(0, 8)];
  try {
    const found = await facilities.findPushedImage!(facts, repository, tags);
    return found ? { ...found, tags, pushed: true, totalSteps: 0, cachedSteps: 0 } : null;
  } catch (error) {
    facilities.logger.warn({ err: error, repository }, 'could not look for the image the pipeline pushed');
    return null;
  }
}
