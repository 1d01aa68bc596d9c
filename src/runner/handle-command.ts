import type { Forge } from '../forges/forge.js';
import type { CommandOutcome, HandleCommand } from '../model/dispatch.js';
import type { ForgeCommand, ForgeName } from '../model/forge-event.js';
import type { Reporter } from '../report/reporter.js';
import type { PipelineQueue } from '../store/pipeline-queue.js';
import type { PipelineViews } from '../store/pipeline-views.js';
import type { Logger } from '../telemetry/logger.js';
import type { PipelineControl } from './pipeline-control.js';

export interface CommandHandlerOptions {
  queue: PipelineQueue;
  views: Pick<PipelineViews, 'latestForChangeRequest' | 'latestForSha'>;
  forges: Map<ForgeName, Forge>;
  control: PipelineControl;
  reporter: Reporter;
  logger: Logger;
}

const asked = (command: ForgeCommand) => (command.via === 'checks' ? 'Re-run' : `/slipway ${command.action}${command.job ? ` ${command.job}` : ''}`);

/**
 * `/slipway retry|cancel|play <job>` in a merge/pull request comment, and GitHub's Re-run of a check.
 * The person needs write access (asked of the forge); the answer, done or refused and why,
 * appears in the one Slipway comment. A redelivery does nothing twice.
 */
export function createCommandHandler(options: CommandHandlerOptions): HandleCommand {
  return async (command): Promise<CommandOutcome> => {
    const { target } = command;
    if (!(await options.queue.recordCommand(target.forge, command.deliveryId, `command.${command.action}`))) return { outcome: 'duplicate' };
    const pipelineId =
      command.changeRequest !== null
        ? await options.views.latestForChangeRequest(target.forge, target.project, command.changeRequest)
        : command.sha !== null
          ? await options.views.latestForSha(target.forge, target.project, command.sha)
          : null;
    if (pipelineId === null) return { outcome: 'refused', reason: `Slipway has run no pipeline for this ${command.changeRequest !== null ? 'change request' : 'commit'}` };

    const answer = async (id: number, note: string, outcome: CommandOutcome): Promise<CommandOutcome> => {
      await options.queue.noteCommand(id, note);
      options.reporter.changed(id);
      return outcome;
    };
    const refused = (reason: string) => answer(pipelineId, `@${command.by.login}: ${asked(command)} was refused: ${reason}.`, { outcome: 'refused', reason });

    if (command.action === 'help') {
      return refused('Slipway knows `/slipway retry` (run the newest pipeline again), `/slipway cancel` (stop it) and `/slipway play <job>` (run a manual job, or a delayed one now)');
    }
    const forge = options.forges.get(target.forge);
    const access = forge
      ? await forge.accessOf(target, command.by).catch((error: unknown) => {
          options.logger.warn({ err: error, project: target.project, user: command.by.login }, 'could not ask the forge about a command’s author');
          return 'unknown' as const;
        })
      : 'none';
    if (access === 'unknown') return refused(`${target.forge} could not be asked whether you may; try again in a minute`);
    if (access !== 'write') return refused(`it takes write access to ${target.project}`);

    if (command.action === 'play') {
      const played = await options.control.play(pipelineId, command.job!, `${command.by.login} (${target.forge} comment)`);
      if (!played.ok) return refused(played.reason);
      return answer(pipelineId, `${command.job} played by @${command.by.login} (${asked(command)}).`, { outcome: 'done', pipelineId });
    }
    if (command.action === 'cancel') {
      const canceled = await options.control.cancel(pipelineId, `${command.by.login} (${asked(command)})`);
      if (!canceled.ok) return refused(canceled.reason);
      return answer(pipelineId, `Canceled by @${command.by.login} (${asked(command)}).`, { outcome: 'done', pipelineId });
    }
    const retried = await options.control.retry(pipelineId);
    if (!retried.ok) return refused(retried.reason);
    options.logger.info({ pipelineId, retried: retried.pipelineId, by: command.by.login, via: command.via }, 'pipeline retried on request');
    return answer(retried.pipelineId, `Retry of pipeline #${pipelineId} asked by @${command.by.login} (${asked(command)}).`, { outcome: 'done', pipelineId: retried.pipelineId });
  };
}
