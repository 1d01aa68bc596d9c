import type { Config } from '../config/load-config.js';
import { projectPolicy } from '../config/policy-file.js';
import { createSlackApp, SLACK_EVENTS_PATH } from '../chatops/slack-app.js';
import { mentionAll } from '../chatops/slack-text.js';
import { createActionRunner } from '../deploy/actions/run-deploy-action.js';
import { deployCommands } from '../deploy/deploy-commands.js';
import { createDeployEvents } from '../deploy/deploy-events.js';
import { containerDeployer } from '../executors/create-executor.js';
import { healthRoutes } from '../http/health-routes.js';
import { startArtifactExpiry } from '../runner/expire-artifacts.js';
import { variableRoutes } from '../http/variable-routes.js';
import { REGISTRY_TOKEN_PATH, registryTokenRoute } from '../http/registry-token-route.js';
import { REGISTRY_EVENTS_PATH, registryEventsRoute } from '../http/registry-events-route.js';
import { createRegistryGuard } from '../runner/guard-registry-pushes.js';
import { imageChecker } from '../provenance/check-image.js';
import { signingKeyRoute } from '../http/signing-key-route.js';
import { webhookSecretRoutes } from '../http/webhook-secret-routes.js';
import { startHttpServer, type HttpServer } from '../http/server.js';
import { notConfigured, webhookRoutes } from '../http/webhook-routes.js';
import type { OnRefusedWebhook } from '../http/webhook-route.js';
import type { Executor } from '../pipeline/executor.js';
import { createTokenIssuer } from '../registry/token-issuer.js';
import { commitDescriber } from '../report/describe-commit.js';
import { deploymentReporter } from '../report/report-deployment.js';
import { createReporter } from '../report/reporter.js';
import { startDeployRunner } from '../runner/deploy-runner.js';
import { createDispatcher, type DispatchSignals } from '../runner/dispatch-event.js';
import { createPipelineControl } from '../runner/pipeline-control.js';
import { createCommandHandler } from '../runner/handle-command.js';
import { createProjectAccess } from '../web/project-access.js';
import type { WebContext } from '../web/web-context.js';
import { webRoutes } from '../web/web-routes.js';
import { startWorker, type Worker } from '../runner/pipeline-worker.js';
import { configSummary } from './config-summary.js';
import { createRuntime } from './create-runtime.js';
import { dockerFailure, listenFailure } from './startup-failure.js';
import { deployVariables } from '../deploy/deploy-variables.js';
import { createCommentLocks } from '../store/comment-locks.js';
import { CHANNELS, listen, notify, type Channel } from '../store/notifications.js';
import type { Logger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';

export interface ServiceOptions {
  /** Serve HTTP (webhooks, pages, health). `slipway worker` runs without it. */
  http?: boolean;
  /** Run pipelines here. */
  workers?: boolean;
  /** Carry out approved deploys here (default: yes). */
  deploys?: boolean;
  /** Tests and benchmarks may bring their own executor and timings. */
  executor?: Executor;
  leaseMs?: number;
  pollMs?: number;
  reportDebounceMs?: number;
  /** How often a live pipeline page looks for new log lines (ms). */
  livePollMs?: number;
}

export interface Service {
  http: HttpServer | undefined;
  databaseUrl: string;
  stop(): Promise<void>;
}

/** Starts what `slipway serve` (or `slipway worker`) runs; `stop()` undoes it in reverse order. */
export async function startService(config: Config, logger: Logger, options: ServiceOptions = {}): Promise<Service> {
  const runsPipelines = options.workers !== false && config.concurrency > 0;
  logger.info(configSummary(config, { http: options.http !== false, workers: runsPipelines }), 'slipway configured');
  const runtime = await createRuntime(config, logger, { database: 'always', executor: options.executor });
  const { executor } = runtime.pipelines;
  // A worker that cannot reach Docker would fail every pipeline one by one: say so now, once.
  if (runsPipelines && executor.check) {
    try {
      await executor.check();
    } catch (error) {
      // Closing touches Docker too (the pool); its failure must not hide this one.
      await runtime.close().catch(() => undefined);
      const failedHost = typeof error === 'object' && error !== null && 'dockerHost' in error ? String(error.dockerHost) : undefined;
      throw dockerFailure(error, failedHost ?? executor.describe ?? 'the Docker host');
    }
  }
  const { pool, handle, stores } = runtime.database!;
  const { forges, policy } = runtime;
  const poolCounts = runtime.pipelines.executor.pool?.counts;
  const metrics = createMetrics(poolCounts ? { poolCounts } : {});
  const leaseMs = options.leaseMs ?? config.leaseMs;
  const reporter = createReporter({
    views: stores.views,
    forges: forges.byName,
    publicUrl: config.publicUrl,
    logger,
    debounceMs: options.reportDebounceMs,
    commentLock: createCommentLocks(pool),
  });
  const signal = (channel: Channel, payload: string) =>
    notify(pool, channel, payload).catch((error: unknown) => logger.warn({ err: error, channel }, 'could not notify other processes'));

  let worker: Worker | undefined;
  // The forges' websites, for links in pages and messages.
  const forgeWeb = {
    ...(config.github ? { github: config.github.gheHost ? `https://${config.github.gheHost}` : 'https://github.com' } : {}),
    ...(config.gitlab ? { gitlab: config.gitlab.url } : {}),
  };
  const slack = config.slack ? createSlackApp({ ...config.slack, firstSighting: stores.slackRequests.firstSighting, logger }) : undefined;
  // Refusals name people as the chat shows them; without chat, by their ids.
  const name = slack ? mentionAll : (ids: string[]) => ids.join(', ');
  const events = createDeployEvents((error, event) => logger.warn({ err: error, deploymentId: event.deployment.id }, 'could not report a deployment change'));
  const reportDeployment = deploymentReporter(stores.views, forges.byName);
  if (slack) events.subscribe((event) => slack.onDeployEvent(event));
  events.subscribe((event) => (event.type === 'changed' ? reportDeployment(event.deployment) : undefined));
  // Prod runs only what a protected pipeline built and Slipway signed: checked at the request and again before the retag.
  const verifyImage = imageChecker(runtime.registryFor, runtime.signingKey.publicKey);
  const deployRunner =
    options.deploys === false
      ? undefined
      : startDeployRunner({
          runnerId: runtime.newOwnerId(),
          store: stores.deployments,
          policy,
          verifyImage,
          registryFor: runtime.registryFor,
          runAction: createActionRunner(
            containerDeployer(config),
            deployVariables({
              forProject: (project) => stores.variables.forProject(project),
              refOf: (pipelineId) => stores.views.refOf(pipelineId),
              protectedRefs: (project) => projectPolicy(policy, project).protectedRefs,
            }),
          ),
          logger,
          events,
          name,
          leaseMs,
          pollMs: options.pollMs,
        });
  events.subscribe((event) => {
    if (event.type !== 'approved') return;
    deployRunner?.wake();
    void signal(CHANNELS.deployApproved, String(event.deployment.id));
  });
  const describeCommit = commitDescriber({ views: stores.views, forges: forges.byName, publicUrl: config.publicUrl, forgeWeb, logger });
  slack?.attach(deployCommands({ store: stores.deployments, testedCommits: stores.testedCommits, policy, directory: slack.directory, events, name, describeCommit, verifyImage }));

  // Any process may sweep: deleting an expired manifest twice does no harm.
  const expiry = runsPipelines ? startArtifactExpiry(stores.pipelines, runtime.artifactStore, logger) : undefined;

  // Other processes (workers, runners on other machines) hear of new work and cancellations at once.
  const listener = listen(
    handle.url,
    [CHANNELS.pipelineQueued, CHANNELS.pipelineCanceled, CHANNELS.deployApproved],
    (channel, payload) => {
      if (channel === CHANNELS.pipelineQueued) worker?.wake();
      else if (channel === CHANNELS.pipelineCanceled) worker?.cancel(Number(payload));
      else deployRunner?.wake();
    },
    logger,
  );
  const signals: DispatchSignals = {
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
  };
  const dispatch = createDispatcher(stores.queue, reporter, signals);
  const control = createPipelineControl(stores.queue, reporter, signals);
  const command = createCommandHandler({ queue: stores.queue, views: stores.views, forges: forges.byName, control, reporter, logger });
  // A hook the forge contradicts is somebody trying something: kept in the audit trail, not just the log.
  const refusedWebhook: OnRefusedWebhook = async ({ source, deliveryId, event, claimed, reason }) => {
    const target = claimed.kind === 'event' ? claimed.event.target : claimed.kind === 'command' ? claimed.command.target : undefined;
    logger.warn({ source, deliveryId, event, project: target?.project, reason }, 'webhook refused: the forge contradicts it');
    await stores.audit.record({ actor: `webhook:${source}`, action: 'webhook.refused', project: target?.project ?? null, detail: { deliveryId, event, reason, apiContext: target?.apiContext ?? null } });
  };
  const web: WebContext = {
    publicUrl: config.publicUrl,
    sessions: stores.webSessions,
    sessionSeconds: config.web.sessionSeconds,
    adminToken: config.adminToken,
    logins: forges.logins,
    access: createProjectAccess({ forges: forges.byName, targetOf: (forge, project) => stores.views.targetOf(forge, project), logger }),
    views: stores.views,
    deployments: stores.deployments,
    policy,
    control,
    artifacts: runtime.artifactStore,
    logger,
    forgeWeb,
    livePollMs: options.livePollMs,
  };
  async function stopAll(): Promise<void> {
    await listener.stop();
    await worker?.stop();
    expiry?.stop();
    await deployRunner?.stop();
    await reporter.stop();
    await runtime.close();
  }
  const healthChecks = {
    ...(runsPipelines && executor.check ? { docker: () => executor.check!() } : {}),
    registry: () => runtime.registryFor(config.registry.host).ping(),
  };
  const http =
    options.http === false
      ? undefined
      : await startHttpServer({
          port: config.port,
          host: config.host,
          routes: [
            ...healthRoutes(pool, metrics, healthChecks),
            signingKeyRoute(runtime.signingKey.publicPem),
            ...webRoutes(web),
            ...webhookRoutes(forges, dispatch, command, refusedWebhook),
            ...variableRoutes(stores.variables, config.adminToken),
            ...webhookSecretRoutes(stores.webhookSecrets, config.adminToken, config.publicUrl),
            config.registry.eventsToken
              ? registryEventsRoute(
                  config.registry.eventsToken,
                  createRegistryGuard({ pushes: stores.pushes, registry: runtime.registryFor(config.registry.host), ownAccount: config.registry.user, policy, audit: stores.audit, logger }),
                )
              : notConfigured(REGISTRY_EVENTS_PATH, 'registry notifications are off on this server: set SLIPWAY_REGISTRY_EVENTS_TOKEN, and send them here from the registry'),
            config.registry.token
              ? registryTokenRoute({
                  issuer: createTokenIssuer(config.registry.token),
                  jobTokens: stores.jobTokens,
                  ...(config.registry.user && config.registry.password ? { admin: { user: config.registry.user, password: config.registry.password } } : {}),
                })
              : notConfigured(REGISTRY_TOKEN_PATH, 'Slipway is not this registry’s token issuer: set SLIPWAY_REGISTRY_TOKEN_KEY_FILE and SLIPWAY_REGISTRY_TOKEN_CERT_FILE', 'GET'),
            slack?.route ?? notConfigured(SLACK_EVENTS_PATH, 'Slack is not configured on this server: set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_TEAM_ID'),
          ],
          logger,
          metrics,
        }).catch(async (error: unknown) => {
          await stopAll().catch(() => undefined);
          throw listenFailure(error, config.host, config.port);
        });

  // Workers start last: a port in use or a bad setting stops the process before it claims anything.
  if (runsPipelines) {
    const workerId = runtime.ownerId;
    logger.info({ workerId, concurrency: config.concurrency }, 'worker started');
    worker = startWorker({
      workerId,
      queue: stores.queue,
      store: stores.pipelines,
      forges: forges.byName,
      runtime: runtime.pipelines,
      reporter,
      logger,
      metrics,
      registry: config.registry.host,
      concurrency: config.concurrency,
      maxPerProject: config.maxPipelinesPerProject,
      liveness: stores.workers,
      allowForkPush: (project) => projectPolicy(policy, project).allowForkPush,
      jobTokens: stores.jobTokens,
      repositoryOwners: stores.repositoryOwners,
      leaseMs,
      pollMs: options.pollMs,
      sourceLimits: { maxBytes: config.source.maxBytes, maxFiles: config.source.maxFiles },
      pipelineFileTimeoutMs: config.source.pipelineFileTimeoutMs,
      includes: { projects: (project) => projectPolicy(policy, project).includeProjects, allowedAddresses: config.source.includeAllowedAddresses },
    });
  }

  return {
    http,
    databaseUrl: handle.url,
    async stop() {
      await http?.close();
      await stopAll();
    },
  };
}
