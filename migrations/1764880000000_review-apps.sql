-- Up Migration

-- What a job's `environment:` says beyond its name and action: its URL (expanded), the job that
-- stops it (`on_stop`) and when Slipway stops it by itself (`auto_stop_in`).
ALTER TABLE jobs
  ADD COLUMN environment_url text,
  ADD COLUMN environment_on_stop text,
  ADD COLUMN environment_auto_stop_seconds integer;

-- Review apps: environments the policy marks `approval: none`, deployed by a job of the pipeline
-- itself (as GitLab deploys them). One row per environment, written when a job starting it
-- passes (Slipway's own record of the job, never a name a sender wrote) and when one stopping it
-- passes; stopped by its `on_stop` job when the merge request closes or merges, the branch is
-- deleted, or `auto_stop_in` runs out.
CREATE TABLE review_apps (
  forge           text        NOT NULL,
  project         text        NOT NULL,
  environment     text        NOT NULL,
  state           text        NOT NULL CHECK (state IN ('available', 'stopping', 'stopped')),
  url             text,
  sha             text        NOT NULL,
  ref             text        NOT NULL,
  change_request  integer,
  -- The pipeline and job that deployed it; the stop job is played in that pipeline, as GitLab plays it.
  pipeline_id     bigint      NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  job             text        NOT NULL,
  stop_job        text,
  auto_stop_at    timestamptz,
  deployed_at     timestamptz NOT NULL DEFAULT now(),
  stopped_at      timestamptz,
  -- Who or what stopped it: a person who played the stop job, or why Slipway did.
  stopped_by      text,
  -- Why it counts as stopped though its stop job did not run (none, or it could not be played).
  stop_note       text,
  PRIMARY KEY (forge, project, environment)
);
CREATE INDEX review_apps_auto_stop ON review_apps (auto_stop_at) WHERE state = 'available' AND auto_stop_at IS NOT NULL;

-- Down Migration
DROP TABLE review_apps;
ALTER TABLE jobs DROP COLUMN environment_auto_stop_seconds, DROP COLUMN environment_on_stop, DROP COLUMN environment_url;
