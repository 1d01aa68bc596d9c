-- Up Migration

-- Every process that runs pipelines says it is alive here. Its id is also the owner label of
-- the dind daemons it starts, on whatever Docker host: any worker, on any machine, may remove
-- the daemons of an owner that stopped beating, which a process id on one machine cannot tell.
CREATE TABLE workers (
  id            text        PRIMARY KEY,
  started_at    timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE workers;
