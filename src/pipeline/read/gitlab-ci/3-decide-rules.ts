import { expandVariables } from '../../predefined-variables.js';
import { attempt, PipelineFileError } from '../pipeline-file-error.js';
import { GITLAB_CI_FILE, type DecidedPipeline, type ReadingContext, type ValidFile } from './gitlab-ci-file.js';
import { decideJob, decideWorkflow, type Decision } from './job-filters.js';
import { ExpressionError } from './rule-expression.js';
import type { GitlabJob } from './gitlab-ci-schema.js';

/** A job instance's variables, lowest first: the pipeline's, the job's, its `parallel:matrix` values. */
export function instanceVariables(file: ValidFile, pipeline: DecidedPipeline, job: string, instance: string): Record<string, string> {
  const matrix = file.instances.get(job)!.find((each) => each.name === instance)!.variables;
  return { ...pipeline.variables, ...file.jobs.get(job)!.variables, ...matrix };
}

/**
 * Phase 3: `workflow:rules`, then each job instance's `rules` or `only`/`except`, over the
 * predefined variables beneath the file's own. `{ skipped }` when the workflow runs nothing.
 */
export function decideRules(file: ValidFile, context: ReadingContext): DecidedPipeline | { skipped: string } {
  const { globals } = file;
  const workflow = decideWorkflow(globals.workflow?.rules, { ...context.variables, ...globals.variables }, context.checkout);
  if (!workflow.run) return { skipped: workflow.why };
  // The matching workflow rule's variables are the pipeline's own, over the file's top-level ones.
  const variables = { ...globals.variables, ...workflow.variables };
  const name = globals.workflow?.name === undefined ? undefined : expandVariables(globals.workflow.name, { ...context.variables, ...variables }).trim().slice(0, 255);
  const pipeline: DecidedPipeline = { variables, name, decisions: new Map(), bridgeDecisions: new Map(), leftOut: [] };
  for (const [job, spec] of file.jobs) {
    for (const instance of file.instances.get(job)!) {
      const decision: Decision = attempt(
        () => decideJob(spec, { ...context.variables, ...instanceVariables(file, pipeline, job, instance.name) }, context.checkout),
        [ExpressionError],
        (error): never => {
          throw new PipelineFileError(GITLAB_CI_FILE, [file.problemIn([job, spec.rules ? 'rules' : 'only'], `cannot be decided: ${error.message}`)]);
        },
      );
      pipeline.decisions.set(instance.name, decision);
      if (!decision.run && !decision.listed) pipeline.leftOut.push(`\`${instance.name}\` (${decision.why})`);
    }
  }
  for (const [name, bridge] of file.bridges) {
    // A bridge's rules read as a job's do; it has no script, which deciding never looks at.
    const decision = attempt(
      () => decideJob({ ...bridge, script: [] } as unknown as GitlabJob, { ...context.variables, ...variables, ...bridge.variables }, context.checkout),
      [ExpressionError],
      (error): never => {
        throw new PipelineFileError(GITLAB_CI_FILE, [file.problemIn([name, bridge.rules ? 'rules' : 'only'], `cannot be decided: ${error.message}`)]);
      },
    );
    pipeline.bridgeDecisions.set(name, decision);
  }
  return pipeline;
}
