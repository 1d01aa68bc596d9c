import { createReviewAppStore, type ReviewAppStore } from '../store/review-app-store.js';
import type { PipelineFacts } from '../model/pipeline-facts.js';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/load-config.js';
import { loadPolicy, projectPolicy, type PolicyFile } from '../config/policy-file.js';
import { createExecutor, type ExecutorChoices } from '../executors/create-executor.js';
import { createForges, type Forges } from '../forges/create-forges.js';
import type { Executor } from '../pipeline/executor.js';
import { findOwnPush, findPushedImage, trustedCacheImages } from '../registry/find-pushed-image.js';
import { createRegistryClient, type RegistryClient } from '../registry/registry-client.js';
import { createRegistryArtifactStore, type RegistryArtifactStore } from '../registry/registry-artifact-store.js';
import { DEFAULT_ARTIFACT_EXPIRY_SECONDS } from '../pipeline/run/job-artifacts.js';
import { createLocalResourceGroups } from '../pipeline/resource-groups.js';
import { createResourceGroupLocks } from '../store/resource-group-locks.js';
import type { PipelineFacilities } from '../runner/execute-pipeline.js';
import { createAuditLog, type AuditLog } from '../store/audit-log.js';
import { createRegistryPushStore, type RegistryPushStore } from '../store/registry-push-store.js';
import { createRepositoryOwners, type RepositoryOwners } from '../store/repository-owners.js';
import { createWebhookSecretStore, type WebhookSecretStore } from '../store/webhook-secret-store.js';
import { createDeploymentStore, type DeploymentStore } from '../store/deployment-store.js';
import { createJobTokenStore, type JobTokenStore } from '../store/job-token-store.js';
import { migrate } from '../store/migrate.js';
import { databaseFailure, databaseUrlOf } from './startup-failure.js';
import { openDatabase, type DatabaseHandle } from '../store/open-database.js';
import { createWaitingJobs, type WaitingJobs } from '../store/waiting-jobs.js';
import { createPipelineQueue, type PipelineQueue } from '../store/pipeline-queue.js';
import { createPipelineStore, type PipelineStore } from '../store/pipeline-store.js';
import { createPipelineViews, type PipelineViews } from '../store/pipeline-views.js';
import { createPool, type Pool } from '../store/pool.js';
import { createProjectVariableStore, type ProjectVariableStore } from '../store/project-variable-store.js';
import { cacheScope, protectedPatterns, variablesForPipeline } from '../variables/choose-variables.js';
import { createVariableCipher } from '../variables/variable-cipher.js';
import { createSlackRequestStore, type SlackRequestStore } from '../store/slack-request-store.js';
import { createTestedCommitStore, type TestedCommitStore } from '../store/tested-commit-store.js';
import { createDeployJobStore, type DeployJobStore } from '../store/deploy-job-store.js';
import type { Logger } from '../telemetry/logger.js';
import { createWebSessionStore, type WebSessionStore } from '../store/web-session-store.js';
import { createWorkerRegistry, type WorkerRegistry } from '../store/worker-registry.js';
import { ownerLabel } from '../executors/owner-label.js';
import { resolveInstallationId } from './installation.js';
import { imageAttester } from '../provenance/attest-image.js';
import { loadSigningKey, type SigningKey } from '../provenance/signing-key.js';

export interface Stores {
  queue: PipelineQueue;
  waitingJobs: WaitingJobs;
  pipelines: PipelineStore;
  deployJobs: DeployJobStore;
  views: PipelineViews;
  jobTokens: JobTokenStore;
  deployments: DeploymentStore;
  testedCommits: TestedCommitStore;
  slackRequests: SlackRequestStore;
  variables: ProjectVariableStore;
  webSessions: WebSessionStore;
  workers: WorkerRegistry;
  audit: AuditLog;
  pushes: RegistryPushStore;
  repositoryOwners: RepositoryOwners;
  webhookSecrets: WebhookSecretStore;
  reviewApps: ReviewAppStore;
}

/** What every command needs, built once from the configuration. */
export interface Runtime {
  config: Config;
  logger: Logger;
  policy: PolicyFile;
  forges: Forges;
  /** A registry client: Slipway's own account for its registry, anonymous elsewhere. */
  registryFor(host: string): RegistryClient;
  /** Running pipelines: the executor, secrets to mask, timeouts. */
  pipelines: PipelineFacilities;
  /** Jobs' artifacts and caches in Slipway's registry (downloads and expiry use it too). */
  artifactStore: RegistryArtifactStore;
  /** Absent for `slipway run` without DATABASE_URL. */
  database?: { handle: DatabaseHandle; pool: Pool; stores: Stores };
  /** This process's worker id (`name/pid/random`): the owner label of its daemons and its heartbeat row. */
  ownerId: string;
  /** The key this installation signs provenance with. */
  signingKey: SigningKey;
  /** A process-unique name for leases and claims: `name/pid/random`. */
  newOwnerId(): string;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** `always` opens the database (embedded when no DATABASE_URL); `if-configured` only with DATABASE_URL. */
  database: 'always' | 'if-configured';
  /** Tests and benchmarks may bring their own executor. */
  executor?: Executor;
  /** For a process that ends with its pipeline: where the pool's seeding goes so that it outlives it. */
  poolHandOff?: ExecutorChoices['poolHandOff'];
}

export function createStores(pool: Pool, secretKey?: Buffer): Stores {
  return {
    queue: createPipelineQueue(pool),
    waitingJobs: createWaitingJobs(pool),
    pipelines: createPipelineStore(pool),
    deployJobs: createDeployJobStore(pool),
    views: createPipelineViews(pool),
    jobTokens: createJobTokenStore(pool),
    deployments: createDeploymentStore(pool),
    testedCommits: createTestedCommitStore(pool),
    slackRequests: createSlackRequestStore(pool),
    variables: createProjectVariableStore(pool, secretKey ? createVariableCipher(secretKey) : undefined),
    webSessions: createWebSessionStore(pool),
    workers: createWorkerRegistry(pool),
    audit: createAuditLog(pool),
    pushes: createRegistryPushStore(pool),
    repositoryOwners: createRepositoryOwners(pool),
    webhookSecrets: createWebhookSecretStore(pool),
    reviewApps: createReviewAppStore(pool),
  };
}

/** The database, migrated; a failure is one line naming the setting to check. */
async function openMigrated(config: Config, logger: Logger): Promise<DatabaseHandle> {
  const embedded = config.database.url === undefined;
  const handle = await openDatabase(config, logger).catch((error: unknown) => {
    throw databaseFailure(error, databaseUrlOf(config), embedded);
  });
  try {
    const applied = await migrate(handle.url);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    return handle;
  } catch (error) {
    await handle.stop();
    throw databaseFailure(error, handle.url, embedded);
  }
}

/** Builds what `slipway serve`, `slipway worker` and `slipway run` share; `close()` releases it. */
export async function createRuntime(config: Config, logger: Logger, options: RuntimeOptions): Promise<Runtime> {
  const policy = await loadPolicy(config.policyFile);
  const useDatabase = options.database === 'always' || config.database.url !== undefined;
  const handle = useDatabase ? await openMigrated(config, logger) : undefined;
  const pool = handle ? createPool(handle.url) : undefined;
  const stores = pool ? createStores(pool, config.secretKey) : undefined;
  try {
    // A missing or changed key is a start-up error, not a surprise in the first pipeline.
    await stores?.variables.checkKey();
  } catch (error) {
    await pool?.end();
    await handle?.stop();
    throw error;
  }
  const registryFor = (host: string) =>
    createRegistryClient(host === config.registry.host ? { host, username: config.registry.user, password: config.registry.password } : { host });
  const ownRegistry = registryFor(config.registry.host);
  const artifactStore = createRegistryArtifactStore(ownRegistry);
  const installation = await resolveInstallationId(config, pool);
  const protectedPatternsOf = (facts: PipelineFacts) => protectedPatterns(projectPolicy(policy, facts.project).protectedRefs, facts);
  const signingKey = await loadSigningKey(config.signingKeyFile, config.database.dataDir);
  const newOwnerId = () => `${ownerLabel(config.workerName)}/${randomBytes(3).toString('hex')}`;
  const ownerId = newOwnerId();
  const ownExecutor = options.executor
    ? undefined
    : createExecutor(config, {
        owner: ownerId,
        installation,
        ...(options.poolHandOff ? { poolHandOff: options.poolHandOff } : {}),
        onPoolError: (error) => logger.warn({ err: error }, 'the pool of seeded dind daemons failed; pipelines start fresh daemons meanwhile'),
      });
  return {
    config,
    logger,
    policy,
    forges: createForges(config, logger, stores?.webhookSecrets),
    registryFor,
    pipelines: {
      executor: options.executor ?? ownExecutor!,
      secrets: config.secrets,
      jobTimeoutMs: config.docker.job.timeoutMs,
      logger,
      planOptions: { defaultImage: config.docker.job.defaultImage },
      ...(stores
        ? { variablesFor: async (facts) => (facts.fromFork ? [] : variablesForPipeline(await stores.variables.forProject(facts.project), facts, protectedPatternsOf(facts))) }
        : {}),
      resourceGroups: pool ? createResourceGroupLocks(pool) : createLocalResourceGroups(),
      findPushedImage: (facts, repository, tags) =>
        stores && config.registry.eventsToken && /^\d+$/.test(facts.id)
          ? findOwnPush((...args) => stores.pushes.ownPush(...args), config.registry.host, Number(facts.id), repository, tags)
          : findPushedImage(ownRegistry, config.registry.host, repository, tags),
      artifacts: {
        store: artifactStore,
        maxBytes: config.artifacts.maxBytes,
        cacheMaxBytes: config.artifacts.cacheMaxBytes,
        defaultExpireInSeconds: DEFAULT_ARTIFACT_EXPIRY_SECONDS,
      },
      trustScopeFor: (facts) => cacheScope(facts, protectedPatternsOf(facts)),
      attest: imageAttester({ key: signingKey, registryFor, publicUrl: config.publicUrl }),
      ...(stores && config.registry.eventsToken ? { trustedCache: (candidates: string[]) => trustedCacheImages(stores.pushes, candidates) } : {}),
    },
    artifactStore,
    database: handle && pool && stores ? { handle, pool, stores } : undefined,
    ownerId,
    newOwnerId,
    signingKey,
    async close() {
      await ownExecutor?.stop?.();
      await pool?.end();
      await handle?.stop();
    },
  };
}
