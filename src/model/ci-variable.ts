/** A CI/CD variable as a project keeps it. */
export interface CiVariable {
  name: string;
  value: string;
  /** Replaced by `[masked]` wherever job output is shown. */
  masked: boolean;
  /** Given only to pipelines of protected refs. */
  protected: boolean;
  /** The value goes into a file; the variable holds its path. */
  file: boolean;
  /** '' for every pipeline; otherwise only that environment's deploy action. */
  environment: string;
}

/** A file a process is given before it starts. */
export interface VariableFile {
  path: string;
  content: string;
}

/**
 * CI/CD variables as a process receives them, as GitLab gives them: a value in the
 * environment, or for a `file` variable the path of a file under `folder` that holds it.
 */
export function variablesAsEnv(variables: ReadonlyArray<Pick<CiVariable, 'name' | 'value' | 'file'>>, folder: string): { env: Record<string, string>; files: VariableFile[] } {
  const env: Record<string, string> = {};
  const files: VariableFile[] = [];
  for (const variable of variables) {
    if (variable.file) {
      const file = { path: `${folder}/${variable.name}`, content: variable.value };
      files.push(file);
      env[variable.name] = file.path;
    } else env[variable.name] = variable.value;
  }
  return { env, files };
}
