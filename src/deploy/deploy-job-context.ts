import type { PolicyFile } from '../config/policy-file.js';
import type { Deployment, DeployJobContext } from '../model/deployment.js';
import { parseImageReference } from '../registry/image-reference.js';
import type { DeployVariables } from './deploy-variables.js';
import type { DeployDescription } from './actions/webhook-action.js';
import { environmentOf } from './resolve-environment.js';

/** The deployment as a webhook, a container or a deploy job is told of it. */
export function describeDeployment(deployment: Deployment): DeployDescription {
  const image = parseImageReference(deployment.imageRef);
  return {
    deploymentId: deployment.id,
    project: deployment.project,
    environment: deployment.environment,
    sha: deployment.sha,
    image: `${image.registry}/${image.repository}@${deployment.digest}`,
    digest: deployment.digest,
    previousDigest: deployment.previousDigest,
    requestedBy: deployment.requestedBy,
    approvedBy: deployment.decidedBy ?? '',
    kind: deployment.kind,
    pipelineId: deployment.pipelineId,
  };
}

/**
 * What a deploy job is given, read from the deployment's record when its pipeline starts: only
 * a deployment being carried out, whose image was promoted (or one that stops the environment,
 * which promotes nothing), gives anything.
 */
export function deployJobContexts(sources: { get(id: number): Promise<Deployment | null>; variables: DeployVariables; policy: PolicyFile }): (deploymentId: number) => Promise<DeployJobContext | null> {
  return async (deploymentId) => {
    const deployment = await sources.get(deploymentId);
    if (!deployment || deployment.status !== 'deploying' || !(deployment.promotedAt || deployment.kind === 'stop')) return null;
    const description = describeDeployment(deployment);
    const url = environmentOf(sources.policy, deployment.project, deployment.environment)?.policy.url;
    return {
      deploymentId,
      environment: deployment.environment,
      action: deployment.kind === 'stop' ? 'stop' : 'start',
      image: description.image,
      digest: deployment.digest,
      ...(url ? { url } : {}),
      variables: await sources.variables(description),
    };
  };
}
