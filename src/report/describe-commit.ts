import type { DescribeCommit } from '../deploy/deploy-context.js';
import { forgeLinks } from '../forges/forge-links.js';
import type { Forge } from '../forges/forge.js';
import type { ForgeName } from '../model/forge-event.js';
import { withinTime } from '../util/within-time.js';
import type { PipelineViews } from '../store/pipeline-views.js';
import type { Logger } from '../telemetry/logger.js';

export interface DescribeCommitOptions {
  views: Pick<PipelineViews, 'get'>;
  forges: ReadonlyMap<ForgeName, Forge>;
  /** Where the web UI is: the pipeline page link. */
  publicUrl: string;
  /** The forges' websites, for commit, merge request and compare links. */
  forgeWeb: Partial<Record<ForgeName, string>>;
  logger: Logger;
  /** Slack wants an answer to `/deploy` within 3 s: a slow forge costs the title, not the request. */
  timeoutMs?: number;
}

/** The commit a deploy request is for, as its pipeline's forge and the web UI show it. */
export function commitDescriber(options: DescribeCommitOptions): DescribeCommit {
  const log = options.logger.child({ component: 'deploy-briefing' });
  const timeoutMs = options.timeoutMs ?? 1500;
  return async ({ sha, pipelineId, currentSha, rollback }) => {
    const pipeline = pipelineId === null ? null : await options.views.get(pipelineId);
    if (!pipeline) return {};
    const links = forgeLinks(options.forgeWeb, pipeline.forge, pipeline.project);
    const forge = options.forges.get(pipeline.forge);
    const target = { forge: pipeline.forge, project: pipeline.project, apiContext: pipeline.forgeContext };
    const commit = forge
      ? await withinTime(forge.commitOf(target, sha), timeoutMs, () => new Error(`the forge did not answer within ${timeoutMs} ms`)).catch((error: unknown) => {
          log.warn({ err: error, sha, project: pipeline.project }, 'could not read the commit for an approval message');
          return undefined;
        })
      : undefined;
    return {
      ...(commit ? { commit: { ...commit, ...(links ? { url: links.commit(sha) } : {}) } } : {}),
      pipelineUrl: `${options.publicUrl}/pipelines/${pipeline.id}`,
      ...(pipeline.changeRequest !== null && links ? { changeRequest: { label: links.changeRequestLabel(pipeline.changeRequest), url: links.changeRequest(pipeline.changeRequest) } } : {}),
      // A deploy shows what it brings; a rollback, what it takes away.
      ...(links && currentSha && currentSha !== sha ? { compareUrl: rollback ? links.compare(sha, currentSha) : links.compare(currentSha, sha) } : {}),
    };
  };
}
