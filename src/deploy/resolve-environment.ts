import { ownEntry, type EnvironmentPolicy, type PolicyFile } from '../config/policy-file.js';
import { refuse, type Checked } from '../model/refusal.js';

/** An environment of a project, with its rules, resolved once from what a person typed. */
export interface EnvironmentRef {
  project: string;
  environment: string;
  policy: EnvironmentPolicy;
}

/** `prod`, or `group/app:prod` when several projects have a `prod`. Pure: the policy file only. */
export function resolveEnvironment(policy: PolicyFile, spec: string): Checked<{ ref: EnvironmentRef }> {
  const colon = spec.lastIndexOf(':');
  const [projectName, environment] = colon > 0 ? [spec.slice(0, colon), spec.slice(colon + 1)] : [undefined, spec];
  const matches = Object.entries(policy.projects)
    .filter(([name, project]) => (projectName === undefined || name === projectName) && ownEntry(project.environments, environment))
    .map(([name, project]) => ({ project: name, environment, policy: ownEntry(project.environments, environment)! }));
  if (matches.length === 1) return { ok: true, ref: matches[0]! };
  if (matches.length > 1) return refuse(`several projects have an environment called ${environment}: say which, as ${matches.map((match) => `${match.project}:${environment}`).join(' or ')}`);
  const known = allEnvironments(policy).map((ref) => `${ref.project}:${ref.environment}`);
  return refuse(`there is no environment called ${spec}${known.length ? `; known: ${known.join(', ')}` : '; none is configured in SLIPWAY_CONFIG'}`);
}

/** The environment `name` of one project, if it has it. */
export function environmentOf(policy: PolicyFile, project: string, name: string): EnvironmentRef | undefined {
  const environment = ownEntry(ownEntry(policy.projects, project)?.environments ?? {}, name);
  return environment ? { project, environment: name, policy: environment } : undefined;
}

/** Every configured environment of every project. */
export function allEnvironments(policy: PolicyFile): EnvironmentRef[] {
  return Object.entries(policy.projects).flatMap(([project, settings]) =>
    Object.entries(settings.environments).map(([environment, environmentPolicy]) => ({ project, environment, policy: environmentPolicy })),
  );
}

/** Projects that have an environment called `name` (for finding a commit before the project is known). */
export function projectsWith(policy: PolicyFile, name: string): string[] {
  return Object.entries(policy.projects)
    .filter(([, project]) => ownEntry(project.environments, name))
    .map(([project]) => project);
}
