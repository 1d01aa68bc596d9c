-- Up Migration

-- A job that failed as its `allow_failure` allows: shown as failed and "allowed to fail" (as
-- GitLab marks it), not as the failure that failed the pipeline.
ALTER TABLE jobs ADD COLUMN failure_allowed boolean NOT NULL DEFAULT false;

-- Down Migration
ALTER TABLE jobs DROP COLUMN failure_allowed;
