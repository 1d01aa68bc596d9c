import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Config } from './config/load-config.js';
import { secretValues } from './config/load-config.js';
import { loadPolicy, projectPolicy } from './config/policy-file.js';
import { createDockerClient } from './docker/docker-client.js';
import { createDockerExecutor } from './docker/docker-executor.js';
import { dockerExecutorOptions } from './docker/executor-from-config.js';
import { createForges } from './forges/create-forges.js';
import { healthRoutes } from './http/health-routes.js';
import { pipelinePageRoute } from './http/pipeline-page.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { notConfigured, webhookRoutes } from './http/webhook-routes.js';
import { createSlackApp, SLACK_EVENTS_PATH } from './chatops/slack-app.js';
import { createActionRunner } from './deploy/actions/run-deploy-action.js';
import { createDeployService } from './deploy/deploy-service.js';
import { startDeployRunner } from './deploy/deploy-runner.js';
import { createSlackRequestStore } from './store/slack-request-store.js';
import { CHANNELS, listen, notify, type Channel } from './store/notifications.js';
import { deploymentReporter } from './deploy/report-deployment.js';
import { deployContainer } from './docker/deploy-container.js';
import { findPushedImage } from './registry/find-pushed-image.js';
import { createRegistryClient } from './registry/registry-client.js';
import { createTokenIssuer } from './registry/token-issuer.js';
import { REGISTRY_TOKEN_PATH, registryTokenRoute } from './http/registry-token-route.js';
import { createJobTokenStore } from './store/job-token-store.js';
import { createDeploymentStore, type Deployment } from './store/deployment-store.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createDispatcher } from './pipeline/dispatch-event.js';
import type { Executor } from './pipeline/executor.js';
import { createReporter } from './pipeline/report/reporter.js';
import { startWorker, type Worker } from './pipeline/worker.js';
import { migrate } from './store/migrate.js';
import { openDatabase } from './store/open-database.js';
import { createPipelineQueue } from './store/pipeline-queue.js';
import { createPipelineStore } from './store/pipeline-store.js';
import { createPipelineViews } from './store/pipeline-views.js';
import { createPool } from './store/pool.js';

export interface ServiceOptions {
  /** Serve HTTP (webhooks, pages, health). `slipway worker` runs without it. */
  http?: boolean;
  /** Run pipelines here. */
  workers?: boolean;
  /** Tests and benchmarks may bring their own executor and timings. */
  executor?: Executor;
  /** Carry out approved deploys here (default: yes). */
  deploys?: boolean;
  leaseMs?: number;
  pollMs?: number;
  reportDebounceMs?: number;
}

export interface Service {
  http: HttpServer | undefined;
  databaseUrl: string;
  stop(): Promise<void>;
}

/** Starts what `slipway serve` (or `slipway worker`) runs; `stop()` undoes it in reverse order. */
export async function startService(config: Config, logger: Logger, options: ServiceOptions = {}): Promise<Service> {
  const policy = await loadPolicy(config.policyFile);
  const database = await openDatabase(config, logger);
  try {
    const applied = await migrate(database.url);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  } catch (error) {
    await database.stop();
    throw error;
  }
  const pool = createPool(database.url);
  const metrics = createMetrics();
  const forges = createForges(config, logger);
  const queue = createPipelineQueue(pool);
  const store = createPipelineStore(pool);
  const views = createPipelineViews(pool);
  const reporter = createReporter({ views, forges: forges.byName, publicUrl: config.publicUrl, logger, debounceMs: options.reportDebounceMs });

  const jobTokens = createJobTokenStore(pool);
  // Slipway's own account where the host is its registry; anonymous elsewhere.
  const registryFor = (host: string) =>
    createRegistryClient(host === config.registry.host ? { host, username: config.registry.user, password: config.registry.password } : { host });
  const ownRegistry = registryFor(config.registry.host);

  let worker: Worker | undefined;
  if (options.workers !== false && config.concurrency > 0) {
    const docker = createDockerClient(config.docker.host);
    const workerId = `${os.hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
    logger.info({ workerId, concurrency: config.concurrency }, 'worker started');
    worker = startWorker({
      workerId,
      queue,
      store,
      forges: forges.byName,
      executor: options.executor ?? createDockerExecutor(docker, dockerExecutorOptions(config)),
      reporter,
      logger,
      metrics,
      registry: config.registry.host,
      secrets: secretValues(config),
      jobTimeoutMs: config.docker.job.timeoutMs,
      concurrency: config.concurrency,
      allowForkPush: (project) => projectPolicy(policy, project).allowForkPush,
      jobTokens,
      findPushedImage: (repository, tags) => findPushedImage(ownRegistry, config.registry.host, repository, tags),
      leaseMs: options.leaseMs ?? config.leaseMs,
      pollMs: options.pollMs,
      sourceLimits: { maxBytes: config.source.maxBytes, maxFiles: config.source.maxFiles },
      pipelineFileTimeoutMs: config.source.pipelineFileTimeoutMs,
    });
  }

  const slack = config.slack ? createSlackApp({ ...config.slack, firstSighting: createSlackRequestStore(pool).firstSighting, logger }) : undefined;
  const reportDeployment = deploymentReporter(views, forges.byName);
  const deploymentStore = createDeploymentStore(pool);
  const notifyDeployment = async (deployment: Deployment) => {
    try {
      await slack?.updateMessage(deployment);
      await reportDeployment(deployment);
    } catch (error) {
      logger.warn({ err: error, deploymentId: deployment.id }, 'could not report a deployment change');
    }
  };
  const deployRunner =
    options.deploys === false
      ? undefined
      : startDeployRunner({
          runnerId: `${os.hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`,
          store: deploymentStore,
          policy,
          registryFor,
          runAction: createActionRunner((dockerHost, spec) => deployContainer(createDockerClient(dockerHost ?? config.docker.host), spec)),
          logger,
          notify: notifyDeployment,
          leaseMs: options.leaseMs ?? config.leaseMs,
          pollMs: options.pollMs,
        });
  // Other processes (workers, runners on other machines) hear of new work and cancellations at once.
  const listener = listen(
    database.url,
    [CHANNELS.pipelineQueued, CHANNELS.pipelineCanceled, CHANNELS.deployApproved],
    (channel, payload) => {
      if (channel === CHANNELS.pipelineQueued) worker?.wake();
      else if (channel === CHANNELS.pipelineCanceled) worker?.cancel(Number(payload));
      else deployRunner?.wake();
    },
    logger,
  );
  const signal = (channel: Channel, payload: string) =>
    notify(pool, channel, payload).catch((error: unknown) => logger.warn({ err: error, channel }, 'could not notify other processes'));
  const dispatch = createDispatcher(queue, reporter, {
    queued(pipelineId) {
      worker?.wake();
      void signal(CHANNELS.pipelineQueued, String(pipelineId));
    },
    canceled(pipelineIds) {
      for (const id of pipelineIds) {
        worker?.cancel(id);
        void signal(CHANNELS.pipelineCanceled, String(id));
      }
    },
  });
  if (slack) {
    slack.attach(
      createDeployService({
        pool,
        store: deploymentStore,
        policy,
        directory: slack.directory,
        logger,
        onChange: notifyDeployment,
        onApproved: (deployment) => {
          deployRunner?.wake();
          void signal(CHANNELS.deployApproved, String(deployment.id));
        },
      }),
    );
  }
  const http =
    options.http === false
      ? undefined
      : await startHttpServer({
          port: config.port,
          routes: [
            ...healthRoutes(pool, metrics),
            pipelinePageRoute(views),
            ...webhookRoutes(config, forges, dispatch),
            config.registry.token
              ? registryTokenRoute({
                  issuer: createTokenIssuer(config.registry.token),
                  jobTokens,
                  ...(config.registry.user && config.registry.password ? { admin: { user: config.registry.user, password: config.registry.password } } : {}),
                })
              : notConfigured(REGISTRY_TOKEN_PATH, 'Slipway is not this registry’s token issuer: set SLIPWAY_REGISTRY_TOKEN_KEY_FILE and SLIPWAY_REGISTRY_TOKEN_CERT_FILE', 'GET'),
            slack?.route ?? notConfigured(SLACK_EVENTS_PATH, 'Slack is not configured on this server: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET'),
          ],
          logger,
          metrics,
        });

  return {
    http,
    databaseUrl: database.url,
    async stop() {
      await http?.close();
      await listener.stop();
      await worker?.stop();
      await deployRunner?.stop();
      await reporter.stop();
      await pool.end();
      await database.stop();
    },
  };
}
