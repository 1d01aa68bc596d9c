-- Up Migration

-- Slack requests already acted on, by signature: a byte-identical replay within Slack's
-- five-minute window is refused. Rows older than that are swept.
CREATE TABLE slack_requests (
  signature  text        PRIMARY KEY,
  seen_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slack_requests_by_age ON slack_requests (seen_at);

-- Approved deploys are claimed by a runner with a lease, as pipelines are: the Slack click
-- records the decision and returns; whoever claims it promotes, and a takeover after a crash
-- finishes it. `promoted_at` is written after the retag, `previous_digest` before it, so a
-- takeover knows how far the dead runner got.
ALTER TABLE deployments ADD COLUMN lease_owner text;
ALTER TABLE deployments ADD COLUMN lease_expires_at timestamptz;
ALTER TABLE deployments ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE deployments ADD COLUMN promoted_at timestamptz;
ALTER TABLE deployments ADD COLUMN previous_recorded boolean NOT NULL DEFAULT false;
CREATE INDEX deployments_claimable ON deployments (decided_at) WHERE status IN ('approved', 'deploying');

-- A job token belongs to one claim of its pipeline: it ends when that claim's lease does.
ALTER TABLE job_tokens ADD COLUMN lease_owner text;

-- Down Migration

ALTER TABLE job_tokens DROP COLUMN lease_owner;
DROP INDEX deployments_claimable;
ALTER TABLE deployments DROP COLUMN previous_recorded;
ALTER TABLE deployments DROP COLUMN promoted_at;
ALTER TABLE deployments DROP COLUMN attempts;
ALTER TABLE deployments DROP COLUMN lease_expires_at;
ALTER TABLE deployments DROP COLUMN lease_owner;
DROP TABLE slack_requests;
