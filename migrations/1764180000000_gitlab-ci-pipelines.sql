-- Up Migration

-- A `.gitlab-ci.yml` job is any script, not only a test: `test` becomes `script`.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
UPDATE jobs SET kind = 'script' WHERE kind = 'test';
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('script', 'build'));

-- What the pipeline file asked for that Slipway does not do (ignored keywords, unsupported
-- services, jobs left out by rules): shown in the MR comment, never silently dropped.
ALTER TABLE pipelines ADD COLUMN plan_notes jsonb NOT NULL DEFAULT '[]'::jsonb;

-- CI_JOB_TOKEN: only its hash is kept. It is valid while its pipeline runs, which the token
-- endpoint checks against pipelines.status, so a finished pipeline's token needs no revoking.
CREATE TABLE job_tokens (
  token_sha256  bytea       PRIMARY KEY,
  pipeline_id   bigint      NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  repository    text        NOT NULL,
  actions       text[]      NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_tokens_by_pipeline ON job_tokens (pipeline_id);

-- Down Migration

DROP TABLE job_tokens;
ALTER TABLE pipelines DROP COLUMN plan_notes;
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
UPDATE jobs SET kind = 'test' WHERE kind = 'script';
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('test', 'build'));
