-- Up Migration

-- What the approver was shown, gathered once when the request was made: the commit's title and
-- author, links to the pipeline, the merge request and the diff, what ran in the environment
-- then, its URL, and whether Approve asks for confirmation. Every later update of the message
-- (approved, deploying, done) shows the same facts, even if the forge is unreachable by then.
ALTER TABLE deployments ADD COLUMN briefing jsonb NOT NULL DEFAULT '{}';

-- Down Migration
ALTER TABLE deployments DROP COLUMN briefing;
