import { gatedEnvironments, ownEntry, reviewEnvironments, type EnvironmentPolicy, type PolicyFile } from '../config/policy-file.js';
import { matchesPattern } from '../model/ref-patterns.js';
import { refuse, type Checked } from '../model/refusal.js';

/** An environment of a project, with its rules, resolved once from what a person typed. */
export interface EnvironmentRef {
  project: string;
  environment: string;
  policy: EnvironmentPolicy;
}

/** An environment `/deploy` may name: one the policy has that asks for approval. */
function gatedEntry(environments: Record<string, EnvironmentPolicy>, name: string): EnvironmentPolicy | undefined {
  const environment = ownEntry(environments, name);
  return environment?.approval === 'required' ? environment : undefined;
}

/** `prod`, or `group/app:prod` when several projects have a `prod`. Pure: the policy file only. */
export function resolveEnvironment(policy: PolicyFile, spec: string): Checked<{ ref: EnvironmentRef }> {
  const colon = spec.lastIndexOf(':');
  const [projectName, environment] = colon > 0 ? [spec.slice(0, colon), spec.slice(colon + 1)] : [undefined, spec];
  const projects = Object.entries(policy.projects).filter(([name]) => projectName === undefined || name === projectName);
  const matches = projects
    .filter(([, project]) => gatedEntry(project.environments, environment))
    .map(([name, project]) => ({ project: name, environment, policy: gatedEntry(project.environments, environment)! }));
  if (matches.length === 1) return { ok: true, ref: matches[0]! };
  if (matches.length > 1) return refuse(`several projects have an environment called ${environment}: say which, as ${matches.map((match) => `${match.project}:${environment}`).join(' or ')}`);
  const review = projects.flatMap(([, project]) => reviewEnvironments(project).filter((pattern) => matchesPattern(environment, [pattern])));
  if (review.length > 0) return refuse(`${environment} is a review app’s environment (${review[0]}: approval: none in SLIPWAY_CONFIG): its deploy jobs run in the pipeline, and its on_stop job when the merge request closes, without /deploy`);
  const known = allEnvironments(policy).map((ref) => `${ref.project}:${ref.environment}`);
  return refuse(`there is no environment called ${spec}${known.length ? `; known: ${known.join(', ')}` : '; none is configured in SLIPWAY_CONFIG'}`);
}

/** The environment `name` of one project that `/deploy` may deploy to, if it has it. */
export function environmentOf(policy: PolicyFile, project: string, name: string): EnvironmentRef | undefined {
  const environment = gatedEntry(ownEntry(policy.projects, project)?.environments ?? {}, name);
  return environment ? { project, environment: name, policy: environment } : undefined;
}

/** Every environment of every project that `/deploy` deploys to. */
export function allEnvironments(policy: PolicyFile): EnvironmentRef[] {
  return Object.entries(policy.projects).flatMap(([project, settings]) => gatedEnvironments(settings).map(([environment, environmentPolicy]) => ({ project, environment, policy: environmentPolicy })));
}

/** Projects that have an environment called `name` (for finding a commit before the project is known). */
export function projectsWith(policy: PolicyFile, name: string): string[] {
  return Object.entries(policy.projects)
    .filter(([, project]) => gatedEntry(project.environments, name))
    .map(([project]) => project);
}
