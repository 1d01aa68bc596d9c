-- Up Migration

-- A job's artifacts: the archive itself is an OCI artifact in the registry (<project>/slipway-artifacts,
-- by digest), so every worker reaches it; this row lists it on the page and says when it goes.
-- `dotenv` holds the variables of its reports:dotenv, for jobs that take its artifacts.
CREATE TABLE job_artifacts (
  job_id      bigint      PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  digest      text        NOT NULL,
  size        bigint      NOT NULL,
  files       integer     NOT NULL,
  name        text        NOT NULL,
  expires_at  timestamptz,
  dotenv      jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX job_artifacts_expiry ON job_artifacts (expires_at) WHERE expires_at IS NOT NULL;

-- A pipeline's name from its file's `workflow:name`, variables expanded.
ALTER TABLE pipelines ADD COLUMN name text;

-- GitLab's `interruptible`: a newer commit cancels an older pipeline only while none of its
-- started jobs is uninterruptible. `.slipway.yml` jobs are interruptible; `.gitlab-ci.yml`
-- jobs only when they say so, as in GitLab.
ALTER TABLE jobs ADD COLUMN interruptible boolean NOT NULL DEFAULT true;

-- slipway_accept_event supersedes the older pipelines of a branch or change request in one
-- UPDATE; a row this trigger returns NULL for is left as it is (and is not among those superseded).
CREATE FUNCTION slipway_keep_uninterruptible() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.superseded_by IS NOT NULL AND OLD.superseded_by IS NULL
     AND EXISTS (SELECT 1 FROM jobs j WHERE j.pipeline_id = OLD.id AND NOT j.interruptible AND j.started_at IS NOT NULL) THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER pipelines_keep_uninterruptible BEFORE UPDATE OF superseded_by ON pipelines
  FOR EACH ROW EXECUTE FUNCTION slipway_keep_uninterruptible();

-- Down Migration

DROP TRIGGER pipelines_keep_uninterruptible ON pipelines;
DROP FUNCTION slipway_keep_uninterruptible();
ALTER TABLE jobs DROP COLUMN interruptible;
ALTER TABLE pipelines DROP COLUMN name;
DROP TABLE job_artifacts;
