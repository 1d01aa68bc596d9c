import type { Logger } from '../telemetry/logger.js';
import type { DeploymentStore } from '../store/deployment-store.js';
import type { Deployment } from '../model/deployment.js';
import { carryOutDeployment, type CarryOutOptions } from '../deploy/carry-out-deployment.js';
import { holdingLease, startClaimLoop } from './claim-loop.js';

export interface DeployRunnerOptions extends Omit<CarryOutOptions, 'store'> {
  runnerId: string;
  store: DeploymentStore;
  logger: Logger;
  leaseMs?: number;
  pollMs?: number;
  /** Deployments carried out at once (different environments; one environment always takes turns). */
  concurrency?: number;
}

export interface DeployRunner {
  /** An approval was just recorded: look now instead of at the next poll. */
  wake(): void;
  /** Stops claiming; a deploy under way finishes first. */
  stop(): Promise<void>;
}

/**
 * Claims approved deployments from PostgreSQL and carries them out, a few at once, and ends
 * requests that waited past their time.
 * A lease, renewed while the action runs, lets another runner finish a deploy whose runner died.
 */
export function startDeployRunner(options: DeployRunnerOptions): DeployRunner {
  const leaseMs = options.leaseMs ?? 30_000;
  const log = options.logger.child({ deployRunner: options.runnerId });

  async function run(claimed: Deployment): Promise<void> {
    log.info({ deploymentId: claimed.id, project: claimed.project, environment: claimed.environment, attempt: claimed.attempts }, 'deployment claimed');
    try {
      const finished = await holdingLease(
        leaseMs,
        () => options.store.renewLease(claimed.id, options.runnerId, leaseMs),
        () => log.warn({ deploymentId: claimed.id }, 'the deployment lease was lost to another runner'),
        (error) => log.warn({ err: error, deploymentId: claimed.id }, 'deployment lease renewal failed'),
        () => carryOutDeployment(claimed, options.runnerId, options),
      );
      log.info({ deploymentId: claimed.id, status: finished?.status ?? 'taken over' }, 'deployment finished');
    } catch (error) {
      // The lease runs out and another runner (or this one) takes the deployment over.
      log.error({ err: error, deploymentId: claimed.id }, 'deployment crashed; it will be taken over when its lease expires');
    }
  }

  return startClaimLoop({
    concurrency: options.concurrency ?? 4,
    pollMs: options.pollMs ?? 1_000,
    // A request nobody decided in time ends on its own: its message loses the buttons, the announce channel hears.
    async beforeRound() {
      for (const expired of await options.store.expireDue()) await options.events.emit({ type: 'changed', deployment: expired });
    },
    claim: () => options.store.claim(options.runnerId, leaseMs),
    run,
    onError: (error) => log.warn({ err: error }, 'claiming deployments failed; trying again'),
  });
}
