import type { CiVariable } from '../model/ci-variable.js';
import { refuse, type Checked } from '../model/refusal.js';

export type { CiVariable } from '../model/ci-variable.js';

export type VariableSettings = Omit<CiVariable, 'value'>;

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const ENVIRONMENT_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export const MAX_VALUE_BYTES = 64 * 1024;
/** Shorter masked values would mask common words in every log, as GitLab also refuses them. */
export const MIN_MASKED_LENGTH = 8;

/** Names Slipway sets for every job; a project variable may not replace them. */
const RESERVED = /^(CI|GITLAB|SLIPWAY)_|^(CI|SLIPWAY|DOCKER_HOST)$/;

/** A project as the forge names it (`group/app`); the same text the webhooks carry. */
export function checkProjectName(project: string): Checked {
  if (project.length === 0 || project.length > 255 || /[\u0000-\u001f\u007f\s]/.test(project) || project.startsWith('/') || project.endsWith('/')) {
    return refuse(`${JSON.stringify(project.slice(0, 80))} is not a project: write it as the forge names it, such as group/app`);
  }
  return { ok: true };
}

/** Whether a variable may be stored as given; the reason names what to change, never the value. */
export function checkVariable(variable: CiVariable): Checked {
  if (!VARIABLE_NAME.test(variable.name)) return refuse(`${JSON.stringify(variable.name.slice(0, 80))} is not a variable name: use letters, digits and _, not starting with a digit`);
  if (RESERVED.test(variable.name)) return refuse(`${variable.name} is set by Slipway for every job (names starting CI_, GITLAB_ or SLIPWAY_ are reserved): choose another name`);
  if (variable.environment !== '' && !ENVIRONMENT_NAME.test(variable.environment)) {
    return refuse(`${JSON.stringify(variable.environment.slice(0, 80))} is not an environment name: use lower-case letters, digits, ., - and _`);
  }
  if (Buffer.byteLength(variable.value) > MAX_VALUE_BYTES) return refuse(`the value of ${variable.name} is over ${MAX_VALUE_BYTES / 1024} KiB`);
  if (variable.masked) {
    if (variable.value.length < MIN_MASKED_LENGTH) return refuse(`a masked value must be at least ${MIN_MASKED_LENGTH} characters: ${variable.name} is shorter (store it without --masked, or use a longer value)`);
    if (/[\r\n]/.test(variable.value)) return refuse(`a masked value must be one line: ${variable.name} has line breaks (store it with --file and without --masked, or as one line)`);
  }
  return { ok: true };
}
