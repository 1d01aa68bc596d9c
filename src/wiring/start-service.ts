import { createFirstLogin, type FirstLogin } from '../web/first-login.js';
import type { Config } from '../config/load-config.js';
import type { ForgeName } from '../model/forge-event.js';
import type { Route } from '../http/router.js';
import { deployRulesOf, projectPolicy, type PolicyFile } from '../config/policy-file.js';
import { createSlackApp, SLACK_EVENTS_PATH, type SlackApp } from '../chatops/slack-app.js';
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
import { createReporter, type Reporter } from '../report/reporter.js';
import { startDeployRunner } from '../runner/deploy-runner.js';
import { createDispatcher, type DispatchSignals } from '../runner/dispatch-event.js';
import { reviewAppStops } from '../runner/stop-review-apps.js';
import { createPipelineControl, type PipelineControl } from '../runner/pipeline-control.js';
import { createCommandHandler } from '../runner/handle-command.js';
import { createProjectAccess } from '../web/project-access.js';
import type { WebContext } from '../web/web-context.js';
import { webRoutes } from '../web/web-routes.js';
import { startWorker, type Worker } from '../runner/pipeline-worker.js';
import { configSummary } from './config-summary.js';
import { createRuntime, type Runtime, type Stores } from './create-runtime.js';
import { dockerFailure, listenFailure } from './startup-failure.js';
import { deployVariables, type DeployVariables } from '../deploy/deploy-variables.js';
import { deployJobContexts } from '../deploy/deploy-job-context.js';
import { createDeployJobRunner } from '../deploy/run-deploy-jobs.js';
import { createCommentLocks } from '../store/comment-locks.js';
import { CHANNELS, listen, notify, type Channel } from '../store/notifications.js';
import type { Logger } from '../telemetry/logger.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';

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

type Database = NonNullable<Runtime['database']>;
/** The forges' websites (`https://github.com`, GITLAB_URL), for links. */
type ForgeWeb = Partial<Record<ForgeName, string>>;

/** What the pieces of a service share once the runtime is up. */
interface Parts {
  config: Config;
  logger: Logger;
  options: ServiceOptions;
  runtime: Runtime;
  database: Database;
  reporter: Reporter;
  /** The forges' websites, for links in pages and messages. */
  forgeWeb: ForgeWeb;
  /** Only on a server with no login configured. */
  firstLogin?: FirstLogin;
}

/** A worker that cannot reach Docker would fail every pipeline one by one: say so now, once. */
async function checkDocker(runtime: Runtime): Promise<void> {
  const { executor } = runtime.pipelines;
  if (!executor.check) return;
  try {
    await executor.check();
  } catch (error) {
    // Closing touches Docker too (the pool); its failure must not hide this one.
    await runtime.close().catch(() => undefined);
    const failedHost = typeof error === 'object' && error !== null && 'dockerHost' in error ? String(error.dockerHost) : undefined;
    throw dockerFailure(error, failedHost ?? executor.describe ?? 'the Docker host');
  }
}

/** An environment's own CI/CD variables, as its deploy action and deploy jobs get them. */
function environmentVariables(stores: Stores, policy: PolicyFile): DeployVariables {
  return deployVariables({
    forProject: (project) => stores.variables.forProject(project),
    factsOf: (pipelineId) => stores.views.factsOf(pipelineId),
    protectedRefs: (project) => projectPolicy(policy, project).protectedRefs,
  });
}

/** Deploys: chat, the events that report them, the runner that carries out approved ones. */
function startDeploys({ config, logger, options, runtime, database: { stores }, forgeWeb }: Parts, notifyOthers: (channel: Channel, payload: string) => void) {
  const { forges, policy } = runtime;
  const slack = config.slack ? createSlackApp({ ...config.slack, firstSighting: stores.slackRequests.firstSighting, logger }) : undefined;
  // Refusals name people as the chat shows them; without chat, by their ids.
  const name = slack ? mentionAll : (ids: string[]) => ids.join(', ');
  const events = createDeployEvents((error, event) => logger.warn({ err: error, deploymentId: event.deployment.id }, 'could not report a deployment change'));
  const reportDeployment = deploymentReporter(stores.views, forges.byName);
  if (slack) events.subscribe((event) => slack.onDeployEvent(event));
  events.subscribe((event) => (event.type === 'changed' ? reportDeployment(event.deployment) : undefined));
  // Prod runs only what a protected pipeline built and Slipway signed: checked at the request and again before the retag.
  const verifyImage = imageChecker(runtime.registryFor, runtime.signingKey.publicKey);
  const variables = environmentVariables(stores, policy);
  const runner =
    options.deploys === false
      ? undefined
      : startDeployRunner({
          runnerId: runtime.newOwnerId(),
          store: stores.deployments,
          policy,
          verifyImage,
          registryFor: runtime.registryFor,
          runAction: createActionRunner(containerDeployer(config), variables),
          // Queued deploy jobs wake the workers, here and in every other process.
          deployJobs: createDeployJobRunner(stores.deployJobs, { wakeWorkers: () => notifyOthers(CHANNELS.pipelineQueued, 'deploy') }),
          logger,
          events,
          name,
          leaseMs: options.leaseMs ?? config.leaseMs,
          pollMs: options.pollMs,
        });
  events.subscribe((event) => {
    if (event.type !== 'approved') return;
    runner?.wake();
    notifyOthers(CHANNELS.deployApproved, String(event.deployment.id));
  });
  const describeCommit = commitDescriber({ views: stores.views, forges: forges.byName, publicUrl: config.publicUrl, forgeWeb, logger });
  slack?.attach(deployCommands({ store: stores.deployments, testedCommits: stores.testedCommits, policy, directory: slack.directory, events, name, describeCommit, verifyImage }));
  return { slack, runner };
}

/**
 * Pipelines asked for by webhooks and people: the dispatcher and control, telling this
 * process's worker and every other process (NOTIFY) at once.
 */
function pipelineIntake({ runtime, database: { stores }, reporter, logger }: Parts, worker: () => Worker | undefined, notifyOthers: (channel: Channel, payload: string) => void) {
  const signals: DispatchSignals = {
    queued(pipelineId) {
      worker()?.wake();
      notifyOthers(CHANNELS.pipelineQueued, String(pipelineId));
    },
    canceled(pipelineIds) {
      for (const id of pipelineIds) {
        worker()?.cancel(id);
        notifyOthers(CHANNELS.pipelineCanceled, String(id));
      }
    },
  };
  const control = createPipelineControl(stores.queue, stores.waitingJobs, reporter, signals);
  const reviewApps = reviewAppStops(stores.reviewApps, stores.waitingJobs, (pipelineId) => {
    void reporter.now(pipelineId);
    signals.queued(pipelineId);
  }, logger);
  const dispatch = createDispatcher(stores.queue, reporter, signals, reviewApps);
  const command = createCommandHandler({ queue: stores.queue, views: stores.views, forges: runtime.forges.byName, control, reporter, logger });
  // A hook the forge contradicts is somebody trying something: kept in the audit trail, not just the log.
  const refusedWebhook: OnRefusedWebhook = async ({ source, deliveryId, event, claimed, reason }) => {
    const target = claimed.kind === 'event' ? claimed.event.target : claimed.kind === 'command' ? claimed.command.target : undefined;
    logger.warn({ source, deliveryId, event, project: target?.project, reason }, 'webhook refused: the forge contradicts it');
    await stores.audit.record({ actor: `webhook:${source}`, action: 'webhook.refused', project: target?.project ?? null, detail: { deliveryId, event, reason, apiContext: target?.apiContext ?? null } });
  };
  return { dispatch, control, command, refusedWebhook };
}

function webContext({ config, options, runtime, database: { stores }, logger, forgeWeb, firstLogin }: Parts, control: PipelineControl): WebContext {
  return {
    ...(firstLogin ? { firstLogin } : {}),
    publicUrl: config.publicUrl,
    sessions: stores.webSessions,
    sessionSeconds: config.web.sessionSeconds,
    adminToken: config.adminToken,
    logins: runtime.forges.logins,
    access: createProjectAccess({ forges: runtime.forges.byName, targetOf: (forge, project) => stores.views.targetOf(forge, project), logger }),
    views: stores.views,
    deployments: stores.deployments,
    reviewApps: stores.reviewApps,
    policy: runtime.policy,
    control,
    artifacts: runtime.artifactStore,
    logger,
    forgeWeb,
    livePollMs: options.livePollMs,
  };
}

/** The registry's two endpoints on Slipway: push notifications and the token realm, each off until configured. */
function registryRoutes({ config, runtime, database: { stores }, logger }: Parts): Route[] {
  return [
    config.registry.eventsToken
      ? registryEventsRoute(
          config.registry.eventsToken,
          createRegistryGuard({ pushes: stores.pushes, registry: runtime.registryFor(config.registry.host), ownAccount: config.registry.user, policy: runtime.policy, audit: stores.audit, logger }),
        )
      : notConfigured(REGISTRY_EVENTS_PATH, 'registry notifications are off on this server: set SLIPWAY_REGISTRY_EVENTS_TOKEN, and send them here from the registry'),
    config.registry.token
      ? registryTokenRoute({
          issuer: createTokenIssuer(config.registry.token),
          jobTokens: stores.jobTokens,
          ...(config.registry.user && config.registry.password ? { admin: { user: config.registry.user, password: config.registry.password } } : {}),
        })
      : notConfigured(REGISTRY_TOKEN_PATH, 'Slipway is not this registry’s token issuer: set SLIPWAY_REGISTRY_TOKEN_KEY_FILE and SLIPWAY_REGISTRY_TOKEN_CERT_FILE', 'GET'),
  ];
}

function startHttp(parts: Parts, intake: ReturnType<typeof pipelineIntake>, slack: SlackApp | undefined, metrics: Metrics, runsPipelines: boolean): Promise<HttpServer> {
  const { config, runtime, database, logger } = parts;
  const { executor } = runtime.pipelines;
  const healthChecks = {
    ...(runsPipelines && executor.check ? { docker: () => executor.check!() } : {}),
    registry: () => runtime.registryFor(config.registry.host).ping(),
  };
  return startHttpServer({
    port: config.port,
    host: config.host,
    routes: [
      ...healthRoutes(database.pool, metrics, healthChecks),
      signingKeyRoute(runtime.signingKey.publicPem),
      ...webRoutes(webContext(parts, intake.control)),
      ...webhookRoutes(runtime.forges, intake.dispatch, intake.command, intake.refusedWebhook),
      ...variableRoutes(database.stores.variables, config.adminToken),
      ...webhookSecretRoutes(database.stores.webhookSecrets, config.adminToken, config.publicUrl),
      ...registryRoutes(parts),
      slack?.route ?? notConfigured(SLACK_EVENTS_PATH, 'Slack is not configured on this server: set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_TEAM_ID'),
    ],
    logger,
    metrics,
  });
}

function startPipelineWorker({ config, options, runtime, database: { stores }, reporter, logger }: Parts, metrics: Metrics): Worker {
  const { policy } = runtime;
  logger.info({ workerId: runtime.ownerId, concurrency: config.concurrency }, 'worker started');
  return startWorker({
    workerId: runtime.ownerId,
    queue: stores.queue,
    waitingJobs: stores.waitingJobs,
    // The next round claims what a stop job's play queued.
    reviewApps: reviewAppStops(stores.reviewApps, stores.waitingJobs, (pipelineId) => reporter.changed(pipelineId), logger),
    store: stores.pipelines,
    forges: runtime.forges.byName,
    facilities: runtime.pipelines,
    reporter,
    logger,
    metrics,
    registry: config.registry.host,
    concurrency: config.concurrency,
    maxPerProject: config.maxPipelinesPerProject,
    liveness: stores.workers,
    allowForkPush: (project) => projectPolicy(policy, project).allowForkPush,
    deployRules: (project) => deployRulesOf(policy, project),
    deployContext: deployJobContexts({ get: (id) => stores.deployments.get(id), variables: environmentVariables(stores, policy), policy }),
    jobTokens: stores.jobTokens,
    repositoryOwners: stores.repositoryOwners,
    leaseMs: options.leaseMs ?? config.leaseMs,
    pollMs: options.pollMs,
    sourceLimits: { maxBytes: config.source.maxBytes, maxFiles: config.source.maxFiles },
    pipelineFileTimeoutMs: config.source.pipelineFileTimeoutMs,
    includes: { projects: (project) => projectPolicy(policy, project).includeProjects, allowedAddresses: config.source.includeAllowedAddresses },
  });
}

function forgeWebOf(config: Config): ForgeWeb {
  return {
    ...(config.github ? { github: config.github.gheHost ? `https://${config.github.gheHost}` : 'https://github.com' } : {}),
    ...(config.gitlab ? { gitlab: config.gitlab.url } : {}),
  };
}

/** The address to open, once the server answers; and, with no login configured, the one-time way in. */
function announce(config: Config, logger: Logger, firstLogin: FirstLogin | undefined): void {
  logger.info({ url: config.publicUrl }, `Slipway is up: open ${config.publicUrl}`);
  if (firstLogin) {
    logger.warn(
      { url: `${config.publicUrl}/login/once` },
      `No login is configured: open ${config.publicUrl}${firstLogin.path} to sign in as admin (it works once); set SLIPWAY_ADMIN_TOKEN or a forge login for a lasting one`,
    );
  }
}

/** Starts what `slipway serve` (or `slipway worker`) runs; `stop()` undoes it in reverse order. */
export async function startService(config: Config, logger: Logger, options: ServiceOptions = {}): Promise<Service> {
  const runsPipelines = options.workers !== false && config.concurrency > 0;
  logger.info(configSummary(config, { http: options.http !== false, workers: runsPipelines }), 'slipway configured');
  const runtime = await createRuntime(config, logger, { database: 'always', executor: options.executor });
  if (runsPipelines) await checkDocker(runtime);
  const database = runtime.database!;
  const poolCounts = runtime.pipelines.executor.pool?.counts;
  const metrics = createMetrics(poolCounts ? { poolCounts } : {});
  const reporter = createReporter({ views: database.stores.views, forges: runtime.forges.byName, publicUrl: config.publicUrl, logger, debounceMs: options.reportDebounceMs, commentLock: createCommentLocks(database.pool) });
  // With no login configured at all, the first person at the console gets one, printed below.
  const firstLogin = options.http !== false && !config.adminToken && runtime.forges.logins.length === 0 ? createFirstLogin() : undefined;
  const parts: Parts = { config, logger, options, runtime, database, reporter, forgeWeb: forgeWebOf(config), ...(firstLogin ? { firstLogin } : {}) };
  const notifyOthers = (channel: Channel, payload: string) =>
    void notify(database.pool, channel, payload).catch((error: unknown) => logger.warn({ err: error, channel }, 'could not notify other processes'));

  let worker: Worker | undefined;
  const deploys = startDeploys(parts, notifyOthers);
  // Any process may sweep: deleting an expired manifest twice does no harm.
  const expiry = runsPipelines ? startArtifactExpiry(database.stores.pipelines, runtime.artifactStore, logger) : undefined;
  // Other processes (workers, runners on other machines) hear of new work and cancellations at once.
  const listener = listen(
    database.handle.url,
    [CHANNELS.pipelineQueued, CHANNELS.pipelineCanceled, CHANNELS.deployApproved],
    (channel, payload) => {
      if (channel === CHANNELS.pipelineQueued) worker?.wake();
      else if (channel === CHANNELS.pipelineCanceled) worker?.cancel(Number(payload));
      else deploys.runner?.wake();
    },
    logger,
  );
  const intake = pipelineIntake(parts, () => worker, notifyOthers);
  async function stopAll(): Promise<void> {
    await listener.stop();
    await worker?.stop();
    expiry?.stop();
    await deploys.runner?.stop();
    await reporter.stop();
    await runtime.close();
  }
  const http =
    options.http === false
      ? undefined
      : await startHttp(parts, intake, deploys.slack, metrics, runsPipelines).catch(async (error: unknown) => {
          await stopAll().catch(() => undefined);
          throw listenFailure(error, config.host, config.port);
        });
  // Workers start last: a port in use or a bad setting stops the process before it claims anything.
  if (runsPipelines) worker = startPipelineWorker(parts, metrics);
  if (http) announce(config, logger, firstLogin);
  return {
    http,
    databaseUrl: database.handle.url,
    async stop() {
      await http?.close();
      await stopAll();
    },
  };
}
