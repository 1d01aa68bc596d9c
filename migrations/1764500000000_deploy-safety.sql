-- Up Migration

-- A lock may end by itself (`/deploy lock prod <reason> for 2h`); one past its end is removed,
-- with an audit row, the next time anyone looks at the environment.
ALTER TABLE environment_locks ADD COLUMN expires_at timestamptz;

-- A request whose approval message could not be posted (the bot is not in the channel, a
-- missing scope) is withdrawn at once, with the reason, instead of waiting to expire.
ALTER TABLE deployments DROP CONSTRAINT deployments_status_check;
ALTER TABLE deployments ADD CONSTRAINT deployments_status_check
  CHECK (status IN ('requested', 'approved', 'rejected', 'expired', 'deploying', 'succeeded', 'failed', 'withdrawn'));

-- Down Migration
UPDATE deployments SET status = 'rejected' WHERE status = 'withdrawn';
ALTER TABLE deployments DROP CONSTRAINT deployments_status_check;
ALTER TABLE deployments ADD CONSTRAINT deployments_status_check
  CHECK (status IN ('requested', 'approved', 'rejected', 'expired', 'deploying', 'succeeded', 'failed'));
ALTER TABLE environment_locks DROP COLUMN expires_at;
