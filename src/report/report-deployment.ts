import type { Forge } from '../forges/forge.js';
import type { DeploymentReport, ForgeName } from '../model/forge-event.js';
import type { Deployment } from '../model/deployment.js';
import type { PipelineViews } from '../store/pipeline-views.js';

const STATE: Partial<Record<Deployment['status'], DeploymentReport['state']>> = {
  deploying: 'in_progress',
  succeeded: 'success',
  failed: 'failure',
};

function describe(deployment: Deployment): string {
  if (deployment.kind === 'stop') {
    const stop = `Stop of **${deployment.environment}** (it ran \`${deployment.sha.slice(0, 12)}\`)`;
    if (deployment.status === 'deploying') return `${stop} is under way (approved in Slack).`;
    return deployment.status === 'succeeded' ? `⏹ ${stop} succeeded: its stop job passed.` : `❌ ${stop} failed: ${deployment.error ?? 'unknown error'}`;
  }
  const what = `${deployment.kind === 'rollback' ? 'Rollback' : 'Deploy'} of \`${deployment.sha.slice(0, 12)}\` to **${deployment.environment}**`;
  switch (deployment.status) {
    case 'deploying':
      return `${what} is under way (approved in Slack).`;
    case 'succeeded':
      return `🚀 ${what} succeeded: the \`${deployment.environment}\` tag is now \`${deployment.digest}\`.${deployment.briefing.environmentUrl ? ` It runs at ${deployment.briefing.environmentUrl}` : ''}`;
    default:
      return `❌ ${what} failed: ${deployment.error ?? 'unknown error'}`;
  }
}

/** Tells the forge the commit came from that it is being (or has been) deployed. */
export function deploymentReporter(views: PipelineViews, forges: ReadonlyMap<ForgeName, Forge>) {
  return async (deployment: Deployment): Promise<void> => {
    // A stop is told once it ends: the environment went inactive, or it failed and still runs.
    const state = deployment.kind !== 'stop' ? STATE[deployment.status] : deployment.status === 'succeeded' ? 'inactive' : deployment.status === 'failed' ? 'failure' : undefined;
    if (!state || deployment.pipelineId === null) return;
    const pipeline = await views.get(deployment.pipelineId);
    if (!pipeline) return;
    const forge = forges.get(pipeline.forge);
    if (!forge) return;
    await forge.reportDeployment(
      { forge: pipeline.forge, project: pipeline.project, apiContext: pipeline.forgeContext },
      {
        sha: deployment.sha,
        environment: deployment.environment,
        state,
        description: describe(deployment),
        changeRequest: pipeline.changeRequest,
        ...(deployment.briefing.environmentUrl ? { environmentUrl: deployment.briefing.environmentUrl } : {}),
        ...(deployment.briefing.pipelineUrl ? { logUrl: deployment.briefing.pipelineUrl } : {}),
      },
    );
  };
}
