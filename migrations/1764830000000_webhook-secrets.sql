-- Up Migration

-- Each project's own webhook secret (its hash): a hook's token names the one project it may be
-- about, so holding one project's secret gives no say over another's pipelines.
CREATE TABLE webhook_secrets (
  forge          text        NOT NULL,
  project_id     text        NOT NULL,
  secret_sha256  bytea       NOT NULL UNIQUE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (forge, project_id)
);

-- Down Migration
DROP TABLE webhook_secrets;
