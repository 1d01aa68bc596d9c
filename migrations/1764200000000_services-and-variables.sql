-- Up Migration

-- What each service printed while its job ran, shown under the job on the pipeline page.
-- Already masked, as job logs are.
CREATE TABLE job_service_logs (
  job_id    bigint  NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  position  integer NOT NULL,
  name      text    NOT NULL,
  image     text    NOT NULL,
  log       text    NOT NULL,
  PRIMARY KEY (job_id, position)
);

-- A pipeline its file's `workflow:rules` leave out is recorded as skipped, with the reason in `error`.
ALTER TABLE pipelines DROP CONSTRAINT pipelines_status_check;
ALTER TABLE pipelines ADD CONSTRAINT pipelines_status_check
  CHECK (status IN ('queued', 'running', 'passed', 'failed', 'canceled', 'error', 'skipped'));

-- A job's test coverage, read from its log with the job's `coverage` pattern.
ALTER TABLE jobs ADD COLUMN coverage numeric;

-- A project's CI/CD variables. The value is AES-256-GCM ciphertext under SLIPWAY_SECRET_KEY,
-- bound to (project, environment, name) so a row copied elsewhere does not decrypt; `key_id`
-- tells a wrong key from a damaged row. '' is "every environment", so the key stays unique.
CREATE TABLE project_variables (
  project      text        NOT NULL,
  environment  text        NOT NULL DEFAULT '',
  name         text        NOT NULL,
  ciphertext   bytea       NOT NULL,
  nonce        bytea       NOT NULL,
  key_id       text        NOT NULL,
  masked       boolean     NOT NULL DEFAULT false,
  protected    boolean     NOT NULL DEFAULT false,
  file         boolean     NOT NULL DEFAULT false,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, environment, name)
);

-- Down Migration

DROP TABLE project_variables;
UPDATE pipelines SET status = 'passed' WHERE status = 'skipped';
ALTER TABLE pipelines DROP CONSTRAINT pipelines_status_check;
ALTER TABLE pipelines ADD CONSTRAINT pipelines_status_check
  CHECK (status IN ('queued', 'running', 'passed', 'failed', 'canceled', 'error'));
ALTER TABLE jobs DROP COLUMN coverage;
DROP TABLE job_service_logs;
