// The hot-path transitions for many jobs in one statement (see batcher.ts): the same SQL as
// job-statements.ts, fed by a JSON array. Each result row answers the input at the same position.
import { defineStatement } from './prepared.ts';

const live = `status NOT IN ('succeeded', 'failed', 'canceled')`;

/** $1: [{ ord, id, tenant_id, kind, request, targets, priority, idempotency_key, batch_id, metadata, estimated_cost_usd, event_data }] */
export const createJobs = defineStatement(
  'mediagate_create_jobs',
  ['jsonb'],
  `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1) AS x(ord integer, id text, tenant_id text, kind text, request jsonb, targets jsonb,
      priority integer, idempotency_key text, batch_id text, metadata jsonb, estimated_cost_usd double precision, event_data jsonb)
  ),
  j AS (
    INSERT INTO jobs (id, tenant_id, kind, status, request, targets, priority, idempotency_key, batch_id,
                      metadata, estimated_cost_usd, last_seq)
    SELECT id, tenant_id, kind, 'queued', request, targets, priority, idempotency_key, batch_id, metadata, estimated_cost_usd, 1
    FROM input ORDER BY ord
    ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
  ),
  e AS (
    INSERT INTO job_events (job_id, tenant_id, seq, type, data)
    SELECT j.id, j.tenant_id, 1, 'queued', i.event_data FROM j JOIN input i ON i.id = j.id
    RETURNING *
  )
  SELECT i.ord, row_to_json(j) AS job, row_to_json(e) AS event
  FROM input i LEFT JOIN j ON j.id = i.id LEFT JOIN e ON e.job_id = i.id
  ORDER BY i.ord`,
);

/** $1: [{ ord, attempt_id, job_id, provider, model, key_id, target_index }], job ids distinct. */
export const claimJobs = defineStatement(
  'mediagate_claim_jobs',
  ['jsonb'],
  `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1) AS x(ord integer, attempt_id text, job_id text, provider text, model text,
      key_id text, target_index integer)
  ),
  j AS (
    UPDATE jobs SET
      last_seq = jobs.last_seq + 1,
      attempts_started = jobs.attempts_started + 1,
      status = 'running',
      started_at = coalesce(jobs.started_at, now()),
      updated_at = now()
    FROM input i
    WHERE jobs.id = i.job_id AND jobs.status = 'queued' AND jobs.target_index = i.target_index
    RETURNING jobs.*, i.attempt_id AS claim_attempt_id, i.provider AS claim_provider, i.model AS claim_model,
              i.key_id AS claim_key_id
  ),
  a AS (
    INSERT INTO attempts (id, job_id, number, provider, model, key_id, status)
    SELECT claim_attempt_id, id, attempts_started, claim_provider, claim_model, claim_key_id, 'submitting' FROM j
    RETURNING *
  ),
  e AS (
    INSERT INTO job_events (job_id, tenant_id, seq, type, data)
    SELECT id, tenant_id, last_seq, 'attempt',
           jsonb_build_object('attemptId', claim_attempt_id, 'number', attempts_started, 'provider', claim_provider,
                              'model', claim_model, 'keyId', claim_key_id)
    FROM j
    RETURNING *
  )
  SELECT i.ord,
         coalesce((SELECT row_to_json(j) FROM j WHERE j.id = i.job_id), (SELECT row_to_json(x) FROM jobs x WHERE x.id = i.job_id)) AS job,
         (SELECT row_to_json(a) FROM a WHERE a.job_id = i.job_id) AS attempt,
         (SELECT row_to_json(e) FROM e WHERE e.job_id = i.job_id) AS event
  FROM input i ORDER BY i.ord`,
);

/** $1: [{ ord, job_id, provider, model, actual_cost_usd, assets, event_data, attempt_id, attempt_cost_usd }], job ids distinct. */
export const completeJobs = defineStatement(
  'mediagate_complete_jobs',
  ['jsonb'],
  `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1) AS x(ord integer, job_id text, provider text, model text, actual_cost_usd double precision,
      assets jsonb, event_data jsonb, attempt_id text, attempt_cost_usd double precision)
  ),
  fa AS (
    UPDATE attempts SET status = 'succeeded', error = NULL, cost_usd = i.attempt_cost_usd, finished_at = now()
    FROM input i WHERE attempts.id = i.attempt_id AND attempts.job_id = i.job_id
  ),
  j AS (
    UPDATE jobs SET
      last_seq = jobs.last_seq + 1,
      status = 'succeeded',
      progress = 100,
      provider = i.provider,
      model = i.model,
      actual_cost_usd = i.actual_cost_usd,
      error = NULL,
      output_asset_ids = ARRAY(SELECT x.value ->> 'id' FROM jsonb_array_elements(i.assets) WITH ORDINALITY AS x(value, n) ORDER BY x.n),
      finished_at = now(),
      updated_at = now()
    FROM input i
    WHERE jobs.id = i.job_id AND jobs.${live}
    RETURNING jobs.*, i.assets AS input_assets, i.event_data AS input_event
  ),
  a AS (
    INSERT INTO assets (id, tenant_id, job_id, sha256, size, mime, kind, width, height, duration_ms, storage_key)
    SELECT x.id, j.tenant_id, j.id, x.sha256, x.size, x.mime, x.kind, x.width, x.height, x.duration_ms, x.storage_key
    FROM j, jsonb_to_recordset(j.input_assets) AS x(id text, sha256 text, size bigint, mime text, kind text, width integer,
                                                     height integer, duration_ms integer, storage_key text)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
  ),
  e AS (
    INSERT INTO job_events (job_id, tenant_id, seq, type, data)
    SELECT id, tenant_id, last_seq, 'succeeded', input_event FROM j
    RETURNING *
  )
  SELECT i.ord, (SELECT row_to_json(j) FROM j WHERE j.id = i.job_id) AS job, (SELECT row_to_json(e) FROM e WHERE e.job_id = i.job_id) AS event
  FROM input i ORDER BY i.ord`,
);

export const batchStatements = [createJobs, claimJobs, completeJobs];
