-- Up Migration

-- A person logged in to the web UI (through a forge, or with the admin token). Only a hash of
-- the cookie's value is kept, so the table alone opens no session. The forge's own token is
-- never kept: what a person may see is asked of the forge with Slipway's credentials.
CREATE TABLE web_sessions (
  token_hash  bytea       PRIMARY KEY,
  forge       text,                  -- NULL for an admin session
  user_id     text        NOT NULL,  -- the forge's user id ('admin' for an admin session)
  login       text        NOT NULL,
  csrf        text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- Personal tokens for scripts (`Authorization: Bearer slp_…`): the same person, the same
-- permissions, asked of the forge at each use. Only a hash is kept.
CREATE TABLE api_tokens (
  id           bigserial   PRIMARY KEY,
  token_hash   bytea       NOT NULL UNIQUE,
  forge        text,
  user_id      text        NOT NULL,
  login        text        NOT NULL,
  label        text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX api_tokens_owner ON api_tokens (forge, user_id);

-- The project pages list pipelines newest first, filtered by branch, status or change request.
CREATE INDEX pipelines_by_project ON pipelines (forge, project, id DESC);

-- GitLab's `needs` of each job (NULL: it waits for the earlier stages), for the pipeline graph.
ALTER TABLE jobs ADD COLUMN needs text[];

-- A forge webhook delivery may also be a command (a `/slipway` comment, GitHub's Re-run):
-- recorded so that a redelivery does it once. The answer to the last command on a pipeline
-- is shown in its comment.
ALTER TABLE pipelines ADD COLUMN command_note text;

-- Retrying one job: a new pipeline of the same commit that runs that job and what waits for
-- it, and takes the other jobs' results and artifacts from the pipeline it retries.
ALTER TABLE pipelines ADD COLUMN retry_of bigint REFERENCES pipelines (id) ON DELETE SET NULL;
ALTER TABLE pipelines ADD COLUMN retry_job text;

-- Down Migration
ALTER TABLE pipelines DROP COLUMN retry_job;
ALTER TABLE pipelines DROP COLUMN retry_of;
ALTER TABLE pipelines DROP COLUMN command_note;
ALTER TABLE jobs DROP COLUMN needs;
DROP INDEX pipelines_by_project;
DROP TABLE api_tokens;
DROP TABLE web_sessions;
