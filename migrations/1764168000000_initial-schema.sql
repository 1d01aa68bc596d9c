-- Up Migration

-- Webhook deliveries already accepted, so a redelivery starts nothing twice.
CREATE TABLE deliveries (
  forge        text        NOT NULL CHECK (forge IN ('github', 'gitlab')),
  delivery_id  text        NOT NULL,
  event        text        NOT NULL,
  pipeline_id  bigint,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (forge, delivery_id)
);

CREATE TABLE pipelines (
  id                 bigserial   PRIMARY KEY,
  forge              text        NOT NULL CHECK (forge IN ('github', 'gitlab', 'local')),
  project            text        NOT NULL,
  sha                text        NOT NULL CHECK (sha ~ '^[0-9a-f]{7,64}$'),
  ref                text        NOT NULL,
  default_branch     text,
  change_request     integer,
  from_fork          boolean     NOT NULL DEFAULT false,
  status             text        NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'passed', 'failed', 'canceled', 'error')),
  cancel_reason      text,
  superseded_by      bigint      REFERENCES pipelines (id),
  error              text,
  image_ref          text,
  image_digest       text,
  cached_steps       integer,
  total_steps        integer,
  lease_owner        text,
  lease_expires_at   timestamptz,
  attempts           integer     NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now(),
  started_at         timestamptz,
  finished_at        timestamptz
);
-- Workers claim the oldest queued pipeline, or a running one whose lease ran out.
CREATE INDEX pipelines_claimable ON pipelines (created_at) WHERE status IN ('queued', 'running');
CREATE INDEX pipelines_by_change ON pipelines (forge, project, change_request) WHERE change_request IS NOT NULL;
CREATE INDEX pipelines_by_sha ON pipelines (project, sha text_pattern_ops);

ALTER TABLE deliveries ADD FOREIGN KEY (pipeline_id) REFERENCES pipelines (id) ON DELETE SET NULL;

CREATE TABLE jobs (
  id           bigserial   PRIMARY KEY,
  pipeline_id  bigint      NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  name         text        NOT NULL,
  kind         text        NOT NULL CHECK (kind IN ('test', 'build')),
  stage        text        NOT NULL,
  position     integer     NOT NULL,
  status       text        NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'running', 'passed', 'failed', 'skipped', 'canceled')),
  exit_code    integer,
  error        text,
  started_at   timestamptz,
  finished_at  timestamptz,
  duration_ms  integer,
  UNIQUE (pipeline_id, name)
);

CREATE TABLE job_log_chunks (
  job_id      bigint      NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq         integer     NOT NULL,
  content     text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, seq)
);

CREATE TABLE deployments (
  id               bigserial   PRIMARY KEY,
  project          text        NOT NULL,
  environment      text        NOT NULL,
  kind             text        NOT NULL DEFAULT 'deploy' CHECK (kind IN ('deploy', 'rollback')),
  sha              text        NOT NULL,
  pipeline_id      bigint      REFERENCES pipelines (id),
  image_ref        text        NOT NULL,
  digest           text        NOT NULL,
  previous_digest  text,
  status           text        NOT NULL DEFAULT 'requested'
                   CHECK (status IN ('requested', 'approved', 'rejected', 'expired', 'deploying', 'succeeded', 'failed')),
  requested_by     text        NOT NULL,
  decided_by       text,
  error            text,
  chat_channel     text,
  chat_message_ts  text,
  requested_at     timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  decided_at       timestamptz,
  finished_at      timestamptz
);
CREATE INDEX deployments_by_environment ON deployments (project, environment, requested_at DESC);

CREATE TABLE environment_locks (
  project      text        NOT NULL,
  environment  text        NOT NULL,
  locked_by    text        NOT NULL,
  reason       text        NOT NULL,
  locked_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, environment)
);

CREATE TABLE audit_events (
  id             bigserial   PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  actor          text        NOT NULL,
  action         text        NOT NULL,
  project        text,
  environment    text,
  sha            text,
  digest         text,
  deployment_id  bigint      REFERENCES deployments (id),
  detail         jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_by_environment ON audit_events (project, environment, at DESC);

-- Down Migration

DROP TABLE audit_events;
DROP TABLE environment_locks;
DROP TABLE deployments;
DROP TABLE job_log_chunks;
DROP TABLE jobs;
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_pipeline_id_fkey;
DROP TABLE pipelines;
DROP TABLE deliveries;
