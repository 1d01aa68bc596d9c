-- Up Migration

-- A job's artifacts: the archive itself is an OCI artifact in the registry (<project>/slipway-artifacts,
-- by digest), so every worker reaches it; this row lists it on the page and says when it goes.
-- `dotenv` holds the variables of its reports:dotenv, for jobs that take its artifacts.
CREATE TABLE job_artifacts (
  job_id      bigint      PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  digest      text        NOT NULL,
  size        bigint      NOT NULL,
  files       integer     NOT NULL,
  name        text        NOT NULL,
  expires_at  timestamptz,
  dotenv      jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX job_artifacts_expiry ON job_artifacts (expires_at) WHERE expires_at IS NOT NULL;

-- A pipeline's name from its file's `workflow:name`, variables expanded.
ALTER TABLE pipelines ADD COLUMN name text;

-- GitLab's `interruptible`: a newer commit cancels an older pipeline only while none of its
-- started jobs is uninterruptible. `.slipway.yml` jobs are interruptible; `.gitlab-ci.yml`
-- jobs only when they say so, as in GitLab.
ALTER TABLE jobs ADD COLUMN interruptible boolean NOT NULL DEFAULT true;

CREATE OR REPLACE FUNCTION slipway_accept_event(
  p_forge text, p_delivery_id text, p_event text, p_action text, p_project text, p_sha text, p_ref text,
  p_default_branch text, p_change_request integer, p_from_fork boolean, p_forge_context jsonb
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_pipeline bigint;
  v_ids bigint[];
BEGIN
  INSERT INTO deliveries (forge, delivery_id, event) VALUES (p_forge, p_delivery_id, p_event) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'duplicate');
  END IF;

  PERFORM pg_advisory_xact_lock(hashtext(p_forge || '/' || p_project || '/' ||
    CASE WHEN p_change_request IS NULL THEN 'ref:' || p_ref ELSE 'cr:' || p_change_request END));

  IF p_action = 'cancel' THEN
    WITH canceled AS (
      UPDATE pipelines
         SET cancel_requested = true, cancel_reason = 'the change request was closed',
             status = CASE WHEN status = 'queued' THEN 'canceled' ELSE status END,
             finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
       WHERE status IN ('queued', 'running') AND forge = p_forge AND project = p_project AND change_request = p_change_request
       RETURNING id)
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids FROM canceled;
    RETURN jsonb_build_object('outcome', 'canceled', 'pipelineIds', to_jsonb(v_ids));
  END IF;

  SELECT id INTO v_pipeline FROM pipelines
   WHERE forge = p_forge AND project = p_project AND sha = p_sha AND status IN ('queued', 'running') AND NOT cancel_requested
   ORDER BY id DESC LIMIT 1;
  IF FOUND THEN
    IF p_change_request IS NOT NULL THEN
      UPDATE pipelines SET change_request = coalesce(change_request, p_change_request) WHERE id = v_pipeline;
    END IF;
    UPDATE deliveries SET pipeline_id = v_pipeline WHERE forge = p_forge AND delivery_id = p_delivery_id;
    RETURN jsonb_build_object('outcome', 'joined', 'pipelineId', v_pipeline);
  END IF;

  INSERT INTO pipelines (forge, project, sha, ref, default_branch, change_request, from_fork, forge_context, event)
  VALUES (p_forge, p_project, p_sha, p_ref, p_default_branch, p_change_request, p_from_fork, p_forge_context, p_event)
  RETURNING id INTO v_pipeline;

  WITH superseded AS (
    UPDATE pipelines
       SET cancel_requested = true, cancel_reason = 'superseded by pipeline #' || v_pipeline, superseded_by = v_pipeline,
           status = CASE WHEN status = 'queued' THEN 'canceled' ELSE status END,
           finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
     WHERE status IN ('queued', 'running') AND forge = p_forge AND project = p_project AND id <> v_pipeline
       AND CASE WHEN p_change_request IS NULL THEN ref = p_ref AND change_request IS NULL ELSE change_request = p_change_request END
       -- GitLab's conservative auto-cancel: not once a job that is not interruptible has started.
       AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.pipeline_id = pipelines.id AND NOT j.interruptible AND j.started_at IS NOT NULL)
     RETURNING id)
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids FROM superseded;

  UPDATE deliveries SET pipeline_id = v_pipeline WHERE forge = p_forge AND delivery_id = p_delivery_id;
  RETURN jsonb_build_object('outcome', 'queued', 'pipelineId', v_pipeline, 'superseded', to_jsonb(v_ids));
END
$$;

-- Down Migration

CREATE OR REPLACE FUNCTION slipway_accept_event(
  p_forge text, p_delivery_id text, p_event text, p_action text, p_project text, p_sha text, p_ref text,
  p_default_branch text, p_change_request integer, p_from_fork boolean, p_forge_context jsonb
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_pipeline bigint;
  v_ids bigint[];
BEGIN
  INSERT INTO deliveries (forge, delivery_id, event) VALUES (p_forge, p_delivery_id, p_event) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'duplicate');
  END IF;

  PERFORM pg_advisory_xact_lock(hashtext(p_forge || '/' || p_project || '/' ||
    CASE WHEN p_change_request IS NULL THEN 'ref:' || p_ref ELSE 'cr:' || p_change_request END));

  IF p_action = 'cancel' THEN
    WITH canceled AS (
      UPDATE pipelines
         SET cancel_requested = true, cancel_reason = 'the change request was closed',
             status = CASE WHEN status = 'queued' THEN 'canceled' ELSE status END,
             finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
       WHERE status IN ('queued', 'running') AND forge = p_forge AND project = p_project AND change_request = p_change_request
       RETURNING id)
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids FROM canceled;
    RETURN jsonb_build_object('outcome', 'canceled', 'pipelineIds', to_jsonb(v_ids));
  END IF;

  SELECT id INTO v_pipeline FROM pipelines
   WHERE forge = p_forge AND project = p_project AND sha = p_sha AND status IN ('queued', 'running') AND NOT cancel_requested
   ORDER BY id DESC LIMIT 1;
  IF FOUND THEN
    IF p_change_request IS NOT NULL THEN
      UPDATE pipelines SET change_request = coalesce(change_request, p_change_request) WHERE id = v_pipeline;
    END IF;
    UPDATE deliveries SET pipeline_id = v_pipeline WHERE forge = p_forge AND delivery_id = p_delivery_id;
    RETURN jsonb_build_object('outcome', 'joined', 'pipelineId', v_pipeline);
  END IF;

  INSERT INTO pipelines (forge, project, sha, ref, default_branch, change_request, from_fork, forge_context, event)
  VALUES (p_forge, p_project, p_sha, p_ref, p_default_branch, p_change_request, p_from_fork, p_forge_context, p_event)
  RETURNING id INTO v_pipeline;

  WITH superseded AS (
    UPDATE pipelines
       SET cancel_requested = true, cancel_reason = 'superseded by pipeline #' || v_pipeline, superseded_by = v_pipeline,
           status = CASE WHEN status = 'queued' THEN 'canceled' ELSE status END,
           finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
     WHERE status IN ('queued', 'running') AND forge = p_forge AND project = p_project AND id <> v_pipeline
       AND CASE WHEN p_change_request IS NULL THEN ref = p_ref AND change_request IS NULL ELSE change_request = p_change_request END
     RETURNING id)
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids FROM superseded;

  UPDATE deliveries SET pipeline_id = v_pipeline WHERE forge = p_forge AND delivery_id = p_delivery_id;
  RETURN jsonb_build_object('outcome', 'queued', 'pipelineId', v_pipeline, 'superseded', to_jsonb(v_ids));
END
$$;

ALTER TABLE jobs DROP COLUMN interruptible;
ALTER TABLE pipelines DROP COLUMN name;
DROP TABLE job_artifacts;
