// The hot-path transitions for many jobs in one statement (see batcher.ts): the same SQL as
// job-statements.ts, fed by a JSON array. Each result row answers the input at the same position.
//
// Like the single statements, they answer only with what the caller does not already hold:
// inputs are not echoed back, and attempts and events are built by the caller from the job.
// Result rows are matched to inputs with joins, not per-row subqueries over the CTEs (which
// scan the whole CTE once per input); a job a claim did not take is read only for that input. The updates also name their rows with `id = ANY (ids)`:
// PostgreSQL guesses 100 rows for jsonb_to_recordset, and with that guess it plans a
// sequential scan of the whole table for a join on a smaller one (as jobs and attempts are in a
// young database); the ANY lets it look the few ids up in the primary key instead.
import { asyncCommitWhen, firstAttemptData } from './job-statements.ts';
import { defineStatement } from './prepared.ts';

const live = `status NOT IN ('succeeded', 'failed', 'canceled')`;

/**
 * $1: [{ ord, id, tenant_id, kind, request, targets, priority, idempotency_key, batch_id, metadata, estimated_cost_usd,
 * attempt_id, provider, model, key_id }]; the attempt fields are null for a job that starts queued (job-statements.ts).
 * $2: commit asynchronously (NewJob.asyncCommit), true only when every job of the batch asks for it.
 * One row: the statement's time (every timestamp the inserts wrote) and the ords inserted; the
 * others hit a repeated idempotency key.
 */
export const createJobs = defineStatement(
  'mediagate_create_jobs',
  ['jsonb', 'boolean'],
  `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1) AS x(ord integer, id text, tenant_id text, kind text, request jsonb, targets jsonb,
      priority integer, idempotency_key text, batch_id text, metadata jsonb, estimated_cost_usd double precision,
      attempt_id text, provider text, model text, key_id text)
  ),
  j AS (
    INSERT INTO jobs (id, tenant_id, kind, status, request, targets, priority, idempotency_key, batch_id,
                      metadata, estimated_cost_usd, last_seq, attempts_started, started_at)
    SELECT id, tenant_id, kind, CASE WHEN attempt_id IS NULL THEN 'queued' ELSE 'running' END, request, targets, priority,
           idempotency_key, batch_id, metadata, estimated_cost_usd, CASE WHEN attempt_id IS NULL THEN 1 ELSE 2 END,
           CASE WHEN attempt_id IS NULL THEN 0 ELSE 1 END, CASE WHEN attempt_id IS NULL THEN NULL ELSE now() END
    FROM input ORDER BY ord
    ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id, tenant_id, kind
  ),
  started AS (
    SELECT i.* FROM input i JOIN j ON j.id = i.id WHERE i.attempt_id IS NOT NULL
  ),
  a AS (
    INSERT INTO attempts (id, job_id, number, provider, model, key_id, status)
    SELECT attempt_id, id, 1, provider, model, key_id, 'submitting' FROM started
  ),
  e AS (
    INSERT INTO job_events (job_id, tenant_id, seq, type, data)
    SELECT id, tenant_id, 1, 'queued', jsonb_build_object('kind', kind) FROM j
    UNION ALL
    SELECT id, tenant_id, 2, 'attempt', ${firstAttemptData('attempt_id', 'provider', 'model', 'key_id')} FROM started
  )
  SELECT to_json(now()) AS at, array(SELECT i.ord FROM input i JOIN j ON j.id = i.id) AS inserted, ${asyncCommitWhen('$2')} AS commit`,
);

/**
 * $1: [{ ord, attempt_id, job_id, provider, model, key_id, target_index }], job ids distinct.
 * A row per input: the job (NULL: no such job) and whether this claim started its attempt.
 */
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
    WHERE jobs.id = ANY (ARRAY(SELECT job_id FROM input)) AND jobs.id = i.job_id
      AND jobs.status = 'queued' AND jobs.target_index = i.target_index
    RETURNING row_to_json(jobs.*) AS job, jobs.id, jobs.tenant_id, jobs.last_seq, jobs.attempts_started,
              i.attempt_id, i.provider, i.model, i.key_id
  ),
  a AS (
    INSERT INTO attempts (id, job_id, number, provider, model, key_id, status)
    SELECT attempt_id, id, attempts_started, provider, model, key_id, 'submitting' FROM j
  ),
  e AS (
    INSERT INTO job_events (job_id, tenant_id, seq, type, data)
    SELECT id, tenant_id, last_seq, 'attempt',
           jsonb_build_object('attemptId', attempt_id, 'number', attempts_started, 'provider', provider,
                              'model', model, 'keyId', key_id)
    FROM j
  )
  SELECT i.ord, coalesce(j.job, (SELECT row_to_json(x) FROM jobs x WHERE x.id = i.job_id)) AS job, j.id IS NOT NULL AS claimed
  FROM input i LEFT JOIN j ON j.id = i.job_id
  ORDER BY i.ord`,
);

/**
 * $1: [{ ord, job_id, provider, model, actual_cost_usd, assets, event_data, attempt_id, attempt_cost_usd }], job ids distinct.
 * A row per input: the completed job, NULL when it was already terminal.
 */
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
    FROM input i
    WHERE attempts.id = ANY (ARRAY(SELECT attempt_id FROM input)) AND attempts.id = i.attempt_id AND attempts.job_id = i.job_id
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
    WHERE jobs.id = ANY (ARRAY(SELECT job_id FROM input)) AND jobs.id = i.job_id AND jobs.${live}
    RETURNING row_to_json(jobs.*) AS job, jobs.id, jobs.tenant_id, jobs.last_seq, i.assets, i.event_data
  ),
  a AS (
    INSERT INTO assets (id, tenant_id, job_id, sha256, size, mime, kind, width, height, duration_ms, storage_key)
    SELECT x.id, j.tenant_id, j.id, x.sha256, x.size, x.mime, x.kind, x.width, x.height, x.duration_ms, x.storage_key
    FROM j, jsonb_to_recordset(j.assets) AS x(id text, sha256 text, size bigint, mime text, kind text, width integer,
                                               height integer, duration_ms integer, storage_key text)
    ON CONFLICT (id) DO NOTHING
  ),
  e AS (
    INSERT INTO job_events (job_id, tenant_id, seq, type, data)
    SELECT id, tenant_id, last_seq, 'succeeded', event_data FROM j
  )
  SELECT i.ord, j.job FROM input i LEFT JOIN j ON j.id = i.job_id ORDER BY i.ord`,
);

export const batchStatements = [createJobs, claimJobs, completeJobs];
