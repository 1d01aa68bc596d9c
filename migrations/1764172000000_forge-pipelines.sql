-- Up Migration

-- What the forge API needs to report back (GitHub installation id, GitLab project id), so
-- whichever worker runs the pipeline can post its comment and status.
ALTER TABLE pipelines ADD COLUMN forge_context jsonb NOT NULL DEFAULT '{}'::jsonb;
-- Set when a newer commit supersedes a running pipeline; its worker sees it at the next lease renewal.
ALTER TABLE pipelines ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;
ALTER TABLE pipelines ADD COLUMN event text;
ALTER TABLE pipelines ADD COLUMN plan_source text;
CREATE INDEX pipelines_by_ref ON pipelines (forge, project, ref) WHERE status IN ('queued', 'running');

-- Down Migration

DROP INDEX pipelines_by_ref;
ALTER TABLE pipelines DROP COLUMN plan_source;
ALTER TABLE pipelines DROP COLUMN event;
ALTER TABLE pipelines DROP COLUMN cancel_requested;
ALTER TABLE pipelines DROP COLUMN forge_context;
