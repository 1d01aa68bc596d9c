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
