import type { PipelineFacts } from '../model/pipeline-facts.js';
import { refuse, type Checked, type Refusal } from '../model/refusal.js';
import { repositoryPath } from '../pipeline/image-names.js';
import type { PipelinePlan, TriggerJobSpec } from '../pipeline/plan.js';
import type { PipelineRun } from '../pipeline/run/engine.js';
import { predefinedVariables } from '../pipeline/predefined-variables.js';
import { PipelineFileError } from '../pipeline/read/pipeline-file-error.js';
import { readPipeline, type ReadPipelineOptions } from '../pipeline/read/read-pipeline.js';
import type { FetchInclude } from '../pipeline/read/fetch-includes-between-reads.js';
import type { GeneratedChild } from '../pipeline/read/read-checkout-plan.js';
import { repositoryTaken, sameProject, type RepositoryOwners } from '../store/repository-owners.js';

// What the worker and `slipway run` both do between a checkout and running it: read its plan
// over the pipeline's own variables, then make sure the registry repository it pushes to is
// this project's. Each step says no in the one shape, with the reason shown to a person.

/** A pipeline file that cannot be read: the one-line reason, and each problem with its place. */
export type PipelineFileRefusal = Refusal & { file: string; problems: string[] };

/**
 * The checkout's plan; a file that cannot be read is refused with what is wrong with it.
 * `plan.skipped`: its workflow runs nothing. `readChild` reads, the same way, the child a
 * trigger job makes of an earlier job's artifact while the pipeline runs.
 */
export async function readPlan(
  sourceDir: string,
  facts: PipelineFacts,
  options: Omit<ReadPipelineOptions, 'variables' | 'generated' | 'fetchInclude'> & {
    /** A fetcher for each reading (the plan's, then each child's): each has its own deadline. */
    includes?: () => FetchInclude;
  },
  notes: readonly string[] = [],
): Promise<({ ok: true } & { plan: PipelinePlan; readChild: NonNullable<PipelineRun['readChild']> }) | PipelineFileRefusal> {
  const { includes, ...reading } = options;
  const read = (generated?: GeneratedChild) =>
    readPipeline(sourceDir, { ...reading, variables: predefinedVariables(facts), ...(includes ? { fetchInclude: includes() } : {}), ...(generated ? { generated } : {}) });
  // A child's mistakes each name their place in the artifact's file; the main text read is the trigger job's own include.
  const readChild = (trigger: TriggerJobSpec, text: string) =>
    read({ trigger, text }).catch((error: unknown) => {
      throw error instanceof PipelineFileError ? new Error(error.problems.join('; ')) : error;
    });
  try {
    const plan = await read();
    return { ok: true, plan: notes.length > 0 ? { ...plan, notes: [...(plan.notes ?? []), ...notes] } : plan, readChild };
  } catch (error) {
    if (!(error instanceof PipelineFileError)) throw error;
    return { ...refuse(error.message), file: error.file, problems: error.problems };
  }
}

/** The project's registry repository, claimed for it the first time; refused when another forge's project of that path has it. */
export async function claimRepository(owners: RepositoryOwners | undefined, project: Pick<PipelineFacts, 'forge' | 'project'>): Promise<Checked<{ repository: string }>> {
  const repository = repositoryPath(project.project);
  const target = { forge: project.forge, project: project.project };
  const owner = await owners?.claim(repository, target);
  if (owner && !sameProject(owner, target)) return refuse(repositoryTaken(repository, owner, target));
  return { ok: true, repository };
}
