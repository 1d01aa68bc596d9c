-- Up Migration

-- What `rules:changes` compares with (a merge request's target branch, or the commit a push came
-- after) is a fact of the pipeline like its ref: a column of its own, no longer a key of the
-- forge's API context it travelled in. slipway_accept_event takes it as a parameter; otherwise
-- the function is as 1764176000000_accept-event-function made it.
ALTER TABLE pipelines ADD COLUMN diff_base text;
UPDATE pipelines SET diff_base = forge_context->>'diffBase', forge_context = forge_context - 'diffBase'
 WHERE forge_context ? 'diffBase';

DROP FUNCTION slipway_accept_event(text, text, text, text, text, text, text, text, integer, boolean, jsonb);
CREATE FUNCTION slipway_accept_event(
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

-- Down Migration

DROP FUNCTION slipway_accept_event(text, text, text, text, text, text, text, text, integer, boolean, jsonb, text);
CREATE FUNCTION slipway_accept_event(
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

UPDATE pipelines SET forge_context = forge_context || jsonb_build_object('diffBase', diff_base) WHERE diff_base IS NOT NULL;
ALTER TABLE pipelines DROP COLUMN diff_base;
