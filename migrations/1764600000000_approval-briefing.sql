-- Up Migration

-- What the approver was shown, gathered once when the request was made: the commit's title and
-- author, links to the pipeline, the merge request and the diff, what ran in the environment
-- then, its URL, and whether Approve asks for confirmation. Every later update of the message
-- (approved, deploying, done) shows the same facts, even if the forge is unreachable by then.
ALTER TABLE deployments ADD COLUMN briefing jsonb NOT NULL DEFAULT '{}';

-- The deploy runner ends requests nobody decided in time, every round: it looks only at those waiting.
CREATE INDEX deployments_waiting ON deployments (expires_at) WHERE status = 'requested';

-- Down Migration
DROP INDEX deployments_waiting;
ALTER TABLE deployments DROP COLUMN briefing;
