-- Up Migration

-- A trigger job whose child pipeline an earlier job writes (`trigger:include:artifact`) is a job
-- of its own: it reads the child when it starts, and the child's jobs are added beside it.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('script', 'build', 'trigger'));

-- Down Migration
DELETE FROM jobs WHERE kind = 'trigger';
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('script', 'build'));
