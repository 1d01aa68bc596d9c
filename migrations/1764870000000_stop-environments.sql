-- Up Migration

-- `/deploy stop <env>`: an approved request that runs the stop job (`environment:action: stop`)
-- of the commit the environment runs, and moves no tag. The environment counts as stopped from
-- then until the next deploy; rollbacks and `after` rules pass over stops.
ALTER TABLE deployments DROP CONSTRAINT deployments_kind_check;
ALTER TABLE deployments ADD CONSTRAINT deployments_kind_check CHECK (kind IN ('deploy', 'rollback', 'stop'));

-- Down Migration
DELETE FROM audit_events WHERE deployment_id IN (SELECT id FROM deployments WHERE kind = 'stop');
UPDATE pipelines SET deployment_id = NULL WHERE deployment_id IN (SELECT id FROM deployments WHERE kind = 'stop');
DELETE FROM deployments WHERE kind = 'stop';
ALTER TABLE deployments DROP CONSTRAINT deployments_kind_check;
ALTER TABLE deployments ADD CONSTRAINT deployments_kind_check CHECK (kind IN ('deploy', 'rollback'));
