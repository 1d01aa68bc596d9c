-- Up Migration

-- Jobs that wait for a person (`when: manual`) or a clock (`when: delayed`), and pipelines
-- paused on them until someone plays the job or its time comes. A played job is `pending` with
-- `played_at` set: the next claim of its pipeline runs it (and keeps the other results).
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
  CHECK (status IN ('pending', 'running', 'passed', 'failed', 'skipped', 'canceled', 'manual', 'scheduled', 'created'));
ALTER TABLE jobs
  ADD COLUMN trigger text NOT NULL DEFAULT 'automatic' CHECK (trigger IN ('automatic', 'manual', 'delayed')),
  -- A blocking manual job (`allow_failure: false`) holds the later stages.
  ADD COLUMN blocking boolean NOT NULL DEFAULT false,
  ADD COLUMN start_in_seconds integer CHECK (start_in_seconds BETWEEN 0 AND 604800),
  -- When a delayed job starts; set once, when it is first scheduled, so a resume keeps it.
  ADD COLUMN scheduled_at timestamptz,
  ADD COLUMN played_by text,
  ADD COLUMN played_at timestamptz,
  -- The environment a job deploys to (its `environment:name`, expanded), for what `/deploy` knows of the file.
  ADD COLUMN environment text;
CREATE INDEX jobs_due ON jobs (scheduled_at) WHERE status = 'scheduled';

ALTER TABLE pipelines DROP CONSTRAINT pipelines_status_check;
ALTER TABLE pipelines ADD CONSTRAINT pipelines_status_check
  CHECK (status IN ('queued', 'running', 'blocked', 'scheduled', 'passed', 'failed', 'canceled', 'error', 'skipped'));

-- Down Migration

UPDATE pipelines SET status = 'canceled', finished_at = coalesce(finished_at, now()) WHERE status IN ('blocked', 'scheduled');
ALTER TABLE pipelines DROP CONSTRAINT pipelines_status_check;
ALTER TABLE pipelines ADD CONSTRAINT pipelines_status_check
  CHECK (status IN ('queued', 'running', 'passed', 'failed', 'canceled', 'error', 'skipped'));

DROP INDEX jobs_due;
UPDATE jobs SET status = 'skipped' WHERE status IN ('manual', 'scheduled', 'created');
ALTER TABLE jobs DROP COLUMN trigger, DROP COLUMN blocking, DROP COLUMN start_in_seconds, DROP COLUMN scheduled_at,
  DROP COLUMN played_by, DROP COLUMN played_at, DROP COLUMN environment;
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check CHECK (status IN ('pending', 'running', 'passed', 'failed', 'skipped', 'canceled'));
