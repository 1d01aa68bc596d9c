import type { DirectAction } from '../../config/policy-file.js';
import { variablesAsEnv, type VariableFile } from '../../model/ci-variable.js';
import type { DeployVariables } from '../deploy-variables.js';
import { maskText } from '../../util/mask-secrets.js';
import type { RunAction } from '../carry-out-deployment.js';
import { runWebhookAction, type DeployDescription } from './webhook-action.js';

/** A container a docker deploy action starts in place of the one of that name. */
export interface ContainerSpec {
  /** Pinned by digest: `registry/repository@sha256:…`. */
  image: string;
  name: string;
  network: string;
  env: Record<string, string>;
  /** Written into the container before it starts (`file` CI/CD variables). */
  files?: VariableFile[];
  healthTimeoutMs: number;
}

/** Where a deployed container finds its `file` variables. */
export const DEPLOY_FILES_DIR = '/run/slipway/variables';

/** Replaces a container on a Docker host; supplied by the composition root, which owns Docker. */
export type DeployContainer = (dockerHost: string | undefined, spec: ContainerSpec) => Promise<string>;

/**
 * What an environment does once its tag points at the approved image. The environment's
 * CI/CD variables go to a docker action as its container's environment; a webhook is told
 * only their names (its receiver keeps its own secrets). No value reaches a message.
 */
export function createActionRunner(deployContainer: DeployContainer, variablesFor: DeployVariables = async () => []): RunAction {
  return async (action: DirectAction, deployment: DeployDescription) => {
    const variables = action.type === 'none' ? [] : await variablesFor(deployment);
    try {
      switch (action.type) {
        case 'none':
          return `${deployment.environment} now points at ${deployment.digest}`;
        case 'webhook':
          return await runWebhookAction(action, { ...deployment, variables: variables.map((variable) => variable.name) });
        case 'docker': {
          const { env, files } = variablesAsEnv(variables, DEPLOY_FILES_DIR);
          return await deployContainer(action.dockerHost, {
            image: deployment.image,
            name: action.container,
            network: action.network,
            env: { ...action.env, ...env },
            ...(files.length > 0 ? { files } : {}),
            healthTimeoutMs: action.healthTimeout * 1000,
          });
        }
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(maskText(message, variables.map((variable) => variable.value)), { cause: error });
    }
  };
}
