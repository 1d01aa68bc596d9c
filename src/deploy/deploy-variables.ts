import type { DeployDescription } from './actions/webhook-action.js';
import type { CiVariable } from '../model/ci-variable.js';
import type { PipelineFacts } from '../model/pipeline-facts.js';
import { isProtectedRef, protectedPatterns, variablesForDeploy } from '../variables/choose-variables.js';

/** The CI/CD variables of the environment a deploy goes to (protected ones only for commits tested on a protected ref). */
export type DeployVariables = (deployment: DeployDescription) => Promise<CiVariable[]>;

export interface DeployVariableSources {
  forProject(project: string): Promise<CiVariable[]>;
  /** The tested pipeline's ref, the default branch then, and the forge's protected branches it was accepted with. */
  factsOf(pipelineId: number): Promise<Pick<PipelineFacts, 'ref' | 'defaultBranch' | 'forgeProtectedRefs'> | null>;
  protectedRefs(project: string): readonly string[];
}

/**
 * An environment's own CI/CD variables for its deploy action. Protected ones go only with a
 * commit whose tested pipeline ran on a protected ref, as GitLab gives them only to protected refs.
 */
export function deployVariables(sources: DeployVariableSources): DeployVariables {
  return async (deployment) => {
    const variables = await sources.forProject(deployment.project);
    if (!variables.some((variable) => variable.environment === deployment.environment)) return [];
    const tested = deployment.pipelineId === null ? null : await sources.factsOf(deployment.pipelineId);
    const refIsProtected = tested !== null && isProtectedRef(tested.ref, tested.defaultBranch, protectedPatterns(sources.protectedRefs(deployment.project), tested));
    return variablesForDeploy(variables, deployment.environment, refIsProtected);
  };
}
