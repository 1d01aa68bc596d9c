-- Up Migration

-- One row: this installation's id. Every container, pool daemon and socket folder Slipway makes
-- carries it, so two installations on one Docker host (staging and prod, or a `slipway run`
-- beside `serve` on another database) never claim, evict, prune or reap each other's.
CREATE TABLE installation (
  id          text        PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now(),
  singleton   boolean     NOT NULL DEFAULT true UNIQUE CHECK (singleton)
);
INSERT INTO installation (id) VALUES (substr(replace(gen_random_uuid()::text, '-', ''), 1, 12));

-- Down Migration
DROP TABLE installation;
