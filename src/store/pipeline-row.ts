import type { ForgeName } from '../model/forge-event.js';
import type { PipelineStatus } from '../model/status.js';

/** A row of the `pipelines` table, as PostgreSQL returns it: the one description of that table. */
export interface PipelineRow {
  id: number;
  forge: ForgeName;
  project: string;
  forge_context: Record<string, string | number>;
  sha: string;
  ref: string;
  default_branch: string | null;
  change_request: number | null;
  from_fork: boolean;
  status: PipelineStatus;
  error: string | null;
  cancel_reason: string | null;
  /** The answer to the last `/slipway` command about this pipeline. */
  command_note: string | null;
  /** A retry of one job: the pipeline it retries, and the job. */
  retry_of: number | null;
  retry_job: string | null;
  cancel_requested: boolean;
  superseded_by: number | null;
  plan_source: string | null;
  plan_notes: string[];
  name: string | null;
  image_ref: string | null;
  image_digest: string | null;
  cached_steps: number | null;
  total_steps: number | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}
