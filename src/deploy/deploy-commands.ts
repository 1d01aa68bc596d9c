import type { DeployContext } from './deploy-context.js';
import { decideDeploy } from './decide-deploy.js';
import { environmentHistory, environmentStatus } from './environment-status.js';
import { lockEnvironment, unlockEnvironment } from './lock-environment.js';
import { auditDeployment } from './deploy-context.js';
import { dryRunDeploy, requestDeploy } from './request-deploy.js';
import { requestRollback } from './request-rollback.js';
import { requestStop } from './request-stop.js';

/** The `/deploy` commands bound to one context: what a chat adapter calls. */
export function deployCommands(context: DeployContext) {
  return {
    request: (user: string, sha: string, environment: string) => requestDeploy(context, user, sha, environment),
    dryRun: (user: string, sha: string, environment: string) => dryRunDeploy(context, user, sha, environment),
    rollback: (user: string, environment: string) => requestRollback(context, user, environment),
    stop: (user: string, environment: string) => requestStop(context, user, environment),
    decide: (deploymentId: number, user: string, decision: 'approved' | 'rejected') => decideDeploy(context, deploymentId, user, decision),
    lock: (user: string, environment: string, reason: string, forSeconds: number | null = null) => lockEnvironment(context, user, environment, reason, forSeconds),
    unlock: (user: string, environment: string) => unlockEnvironment(context, user, environment),
    status: (environment?: string) => environmentStatus(context, environment),
    history: (environment: string) => environmentHistory(context, environment),
    /** Where the request's chat message is, so later states can update it in place. */
    recordMessage: (deploymentId: number, channel: string, ts: string) => context.store.setMessage(deploymentId, channel, ts),
    /** The approval message could not be posted: nobody would ever see the request, so it ends now. */
    async withdraw(deploymentId: number, reason: string): Promise<void> {
      const withdrawn = await context.store.withdraw(deploymentId, reason);
      if (!withdrawn) return;
      await auditDeployment(context.store, 'slipway', 'withdrawn', withdrawn, { reason });
      await context.events.emit({ type: 'changed', deployment: withdrawn });
    },
  };
}

export type DeployCommands = ReturnType<typeof deployCommands>;
