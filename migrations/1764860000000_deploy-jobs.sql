-- Up Migration

-- The deploy job of a pipeline file, run by an approved `/deploy`: a pipeline of its own (its
-- log and page like any other), tied to the deployment that runs it. It is not one of the
-- commit's pipelines as a forge sees them: no push joins it, no newer commit supersedes it,
-- closing the change request does not cancel it (slipway_accept_event below is
-- 1764840000000_diff-base's, with those three exceptions), and it reports to the deployment,
-- not to the commit status or the change request's comment.
ALTER TABLE pipelines ADD COLUMN deployment_id bigint UNIQUE REFERENCES deployments (id);
ALTER TABLE deployments ADD COLUMN job_pipeline_id bigint REFERENCES pipelines (id);
-- Which jobs wait for `/deploy` (an `environment:`, or the policy's deploy stage) and what their
-- `environment:action` is: what a deploy of the commit finds in its tested pipeline.
ALTER TABLE jobs
  ADD COLUMN waits_for_deploy boolean NOT NULL DEFAULT false,
  ADD COLUMN environment_action text CHECK (environment_action IN ('start', 'prepare', 'stop', 'verify', 'access'));

CREATE OR REPLACE FUNCTION slipway_accept_event(
  p_forge text, p_delivery_id text, p_event text, p_action text, p_project text, p_sha text, p_ref text,
  p_default_branch text, p_change_request integer, p_from_fork boolean, p_forge_context jsonb, p_diff_base text
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
         AND deployment_id IS NULL
       RETURNING id)
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids FROM canceled;
    RETURN jsonb_build_object('outcome', 'canceled', 'pipelineIds', to_jsonb(v_ids));
  END IF;

  SELECT id INTO v_pipeline FROM pipelines
   WHERE forge = p_forge AND project = p_project AND sha = p_sha AND status IN ('queued', 'running') AND NOT cancel_requested
     AND deployment_id IS NULL
   ORDER BY id DESC LIMIT 1;
  IF FOUND THEN
    IF p_change_request IS NOT NULL THEN
      UPDATE pipelines SET change_request = coalesce(change_request, p_change_request) WHERE id = v_pipeline;
    END IF;
    UPDATE deliveries SET pipeline_id = v_pipeline WHERE forge = p_forge AND delivery_id = p_delivery_id;
    RETURN jsonb_build_object('outcome', 'joined', 'pipelineId', v_pipeline);
  END IF;

  INSERT INTO pipelines (forge, project, sha, ref, default_branch, change_request, from_fork, forge_context, event, diff_base)
  VALUES (p_forge, p_project, p_sha, p_ref, p_default_branch, p_change_request, p_from_fork, p_forge_context, p_event, p_diff_base)
  RETURNING id INTO v_pipeline;

  WITH superseded AS (
    UPDATE pipelines
       SET cancel_requested = true, cancel_reason = 'superseded by pipeline #' || v_pipeline, superseded_by = v_pipeline,
           status = CASE WHEN status = 'queued' THEN 'canceled' ELSE status END,
           finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
     WHERE status IN ('queued', 'running') AND forge = p_forge AND project = p_project AND id <> v_pipeline AND deployment_id IS NULL
       AND CASE WHEN p_change_request IS NULL THEN ref = p_ref AND change_request IS NULL ELSE change_request = p_change_request END
     RETURNING id)
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids FROM superseded;

  UPDATE deliveries SET pipeline_id = v_pipeline WHERE forge = p_forge AND delivery_id = p_delivery_id;
  RETURN jsonb_build_object('outcome', 'queued', 'pipelineId', v_pipeline, 'superseded', to_jsonb(v_ids));
END
$$;

-- Down Migration

CREATE OR REPLACE FUNCTION slipway_accept_event(
  p_forge text, p_delivery_id text, p_event text, p_action text, p_project text, p_sha text, p_ref text,
  p_default_branch text, p_change_request integer, p_from_fork boolean, p_forge_context jsonb, p_diff_base text
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

  INSERT INTO pipelines (forge, project, sha, ref, default_branch, change_request, from_fork, forge_context, event, diff_base)
  VALUES (p_forge, p_project, p_sha, p_ref, p_default_branch, p_change_request, p_from_fork, p_forge_context, p_event, p_diff_base)
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

ALTER TABLE jobs DROP COLUMN waits_for_deploy, DROP COLUMN environment_action;
ALTER TABLE deployments DROP COLUMN job_pipeline_id;
DELETE FROM pipelines WHERE deployment_id IS NOT NULL;
ALTER TABLE pipelines DROP COLUMN deployment_id;
