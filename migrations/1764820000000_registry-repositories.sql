-- Up Migration

-- Which project owns each registry repository: one each, the first to run a pipeline there.
-- The same path on GitHub and GitLab would otherwise share images, tags and caches.
CREATE TABLE registry_repositories (
  repository  text        PRIMARY KEY,
  forge       text        NOT NULL,
  project     text        NOT NULL,
  claimed_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE registry_repositories;
