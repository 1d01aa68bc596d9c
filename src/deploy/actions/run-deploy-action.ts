import type { DeployActionConfig } from '../../config/policy-file.js';
import type { RunAction } from '../carry-out-deployment.js';
import { runWebhookAction, type DeployDescription } from './webhook-action.js';

export interface ContainerSpec {
  image: string;
  name: string;
  network: string;
  env: Record<string, string>;
  healthTimeoutMs: number;
}

/** Replaces a container on a Docker host; supplied by the composition root, which owns Docker. */
export type DeployContainer = (dockerHost: string | undefined, spec: ContainerSpec) => Promise<string>;

/** What an environment does once its tag points at the approved image. */
export function createActionRunner(deployContainer: DeployContainer): RunAction {
  return async (action: DeployActionConfig, deployment: DeployDescription) => {
    switch (action.type) {
      case 'none':
        return `${deployment.environment} now points at ${deployment.digest}`;
      case 'webhook':
        return runWebhookAction(action, deployment);
      case 'docker':
        return deployContainer(action.dockerHost, {
          image: deployment.image,
          name: action.container,
          network: action.network,
          env: action.env,
          healthTimeoutMs: action.healthTimeout * 1000,
        });
    }
  };
}
