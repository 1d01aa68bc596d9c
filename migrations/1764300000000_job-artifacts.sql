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

-- Down Migration

DROP TABLE job_artifacts;
