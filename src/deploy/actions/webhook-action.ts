import { createHmac } from 'node:crypto';
import type { Deployment } from '../../model/deployment.js';

export interface DeployDescription {
  deploymentId: number;
  project: string;
  environment: string;
  sha: string;
  /** `registry/repository@sha256:…`: exactly the promoted image. */
  image: string;
  digest: string;
  previousDigest: string | null;
  requestedBy: string;
  approvedBy: string;
  kind: Deployment['kind'];
  /** The pipeline that tested the commit, when known. */
  pipelineId: number | null;
  /** Names of the environment's CI/CD variables the deploy carries; never their values. */
  variables?: string[];
}

/** POSTs the deployment as JSON, signed like GitHub's webhooks (`X-Slipway-Signature: sha256=…`); any 2xx is success. */
export async function runWebhookAction(action: { url: string; secret: string; timeout: number }, deployment: DeployDescription): Promise<string> {
  const body = JSON.stringify(deployment);
  const signature = `sha256=${createHmac('sha256', action.secret).update(body).digest('hex')}`;
  const response = await fetch(action.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-slipway-signature': signature, 'x-slipway-delivery': `deployment-${deployment.deploymentId}`, 'user-agent': 'Slipway' },
    body,
    signal: AbortSignal.timeout(action.timeout * 1000),
  }).catch((error: unknown) => {
    throw new Error(`the deploy webhook ${action.url} could not be reached: ${error instanceof Error ? error.message : String(error)}`);
  });
  const text = (await response.text()).slice(0, 300);
  if (!response.ok) throw new Error(`the deploy webhook answered ${response.status}${text ? `: ${text}` : ''}`);
  return `the deploy webhook answered ${response.status}`;
}
