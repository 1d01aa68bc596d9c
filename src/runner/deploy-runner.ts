import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../telemetry/logger.js';
import type { Deployment, DeploymentStore } from '../store/deployment-store.js';
import { carryOutDeployment, type CarryOutOptions } from '../deploy/carry-out-deployment.js';

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
 * Claims approved deployments from PostgreSQL and carries them out, a few at once.
 * A lease, renewed while the action runs, lets another runner finish a deploy whose runner died.
 */
export function startDeployRunner(options: DeployRunnerOptions): DeployRunner {
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 1_000;
  const log = options.logger.child({ deployRunner: options.runnerId });
  const concurrency = options.concurrency ?? 4;
  const active = new Set<Promise<void>>();
  let stopped = false;
  let wakeUp: (() => void) | undefined;

  async function run(claimed: Deployment): Promise<void> {
    log.info({ deploymentId: claimed.id, project: claimed.project, environment: claimed.environment, attempt: claimed.attempts }, 'deployment claimed');
    const renew = setInterval(() => {
      options.store.renewLease(claimed.id, options.runnerId, leaseMs).then(
        (held) => held || log.warn({ deploymentId: claimed.id }, 'the deployment lease was lost to another runner'),
        (error: unknown) => log.warn({ err: error, deploymentId: claimed.id }, 'deployment lease renewal failed'),
      );
    }, Math.max(100, Math.floor(leaseMs / 3)));
    try {
      const finished = await carryOutDeployment(claimed, options.runnerId, options);
      log.info({ deploymentId: claimed.id, status: finished?.status ?? 'taken over' }, 'deployment finished');
    } catch (error) {
      // The lease runs out and another runner (or this one) takes the deployment over.
      log.error({ err: error, deploymentId: claimed.id }, 'deployment crashed; it will be taken over when its lease expires');
    } finally {
      clearInterval(renew);
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        while (!stopped && active.size < concurrency) {
          const claimed = await options.store.claim(options.runnerId, leaseMs);
          if (!claimed) break;
          const running = run(claimed).finally(() => {
            active.delete(running);
            wakeUp?.();
          });
          active.add(running);
        }
      } catch (error) {
        log.warn({ err: error }, 'claiming deployments failed; trying again');
      }
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        void sleep(pollMs).then(resolve);
      });
      wakeUp = undefined;
    }
  }

  const looping = loop();
  return {
    wake: () => wakeUp?.(),
    async stop() {
      stopped = true;
      wakeUp?.();
      await looping;
      await Promise.all([...active]);
    },
  };
}
