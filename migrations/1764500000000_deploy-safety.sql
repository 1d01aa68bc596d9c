-- Up Migration

-- A lock may end by itself (`/deploy lock prod <reason> for 2h`); one past its end is removed,
-- with an audit row, the next time anyone looks at the environment.
ALTER TABLE environment_locks ADD COLUMN expires_at timestamptz;

-- Down Migration
ALTER TABLE environment_locks DROP COLUMN expires_at;
