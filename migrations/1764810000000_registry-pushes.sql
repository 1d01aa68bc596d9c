-- Up Migration

-- Every tag written to Slipway's registry, as the registry itself reports it (its notifications,
-- with the token's subject as the actor). A pipeline's tested image is only ever its own push,
-- and a tag a protected pipeline (or Slipway) wrote is restored if an unprotected one overwrites it.
CREATE TABLE registry_pushes (
  event_id     text        PRIMARY KEY,
  repository   text        NOT NULL,
  tag          text        NOT NULL,
  digest       text        NOT NULL,
  actor        text        NOT NULL,
  pipeline_id  bigint      REFERENCES pipelines (id) ON DELETE SET NULL,
  -- Written by Slipway's own account or by a pipeline of a protected ref.
  trusted      boolean     NOT NULL,
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX registry_pushes_by_tag ON registry_pushes (repository, tag, at DESC);
CREATE INDEX registry_pushes_by_pipeline ON registry_pushes (pipeline_id) WHERE pipeline_id IS NOT NULL;

-- Down Migration
DROP TABLE registry_pushes;
