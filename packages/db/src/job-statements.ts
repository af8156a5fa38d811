// The job state transitions as single prepared SQL statements (data-modifying CTEs): each one
// is atomic and one round trip, which is what keeps the embedded database above 500 jobs/s.
//
// Every transition starts by bumping `jobs.last_seq` on a job that is not terminal. That UPDATE
// takes the job's row lock, so concurrent writers to one job queue up and each re-reads the
// latest row: event seqs come out gapless, and a job that turned terminal meanwhile matches
// nothing, so the rest of the statement writes nothing either.
import { defineStatement } from './prepared.ts';

const live = `status NOT IN ('succeeded', 'failed', 'canceled')`;

/**
 * Appends the event for the job row(s) the CTE `j` returned; `returning` when the statement
 * answers with the event row rather than letting the caller build it.
 */
const eventFromJ = (type: string, data: string, returning = true) => `
  e AS (
    INSERT INTO job_events (job_id, tenant_id, seq, type, data)
    SELECT j.id, j.tenant_id, j.last_seq, ${type}, ${data} FROM j${returning ? '\n    RETURNING *' : ''}
  )`;

/** The data of an `attempt` event for the first attempt of a job. */
export const firstAttemptData = (id: string, provider: string, model: string, keyId: string) =>
  `jsonb_build_object('attemptId', ${id}, 'number', 1, 'provider', ${provider}, 'model', ${model}, 'keyId', ${keyId})`;

/**
 * Turns synchronous_commit off for the rest of the statement's transaction when `condition`
 * holds: the commit then returns without waiting for the WAL flush (NewJob.asyncCommit). A CASE,
 * so the setting is not touched otherwise; the value goes back when the transaction ends.
 */
export const asyncCommitWhen = (condition: string) => `CASE WHEN ${condition} THEN set_config('synchronous_commit', 'off', true) END`;

const jobAndEvent = `SELECT row_to_json(j) AS job, (SELECT row_to_json(e) FROM e) AS event FROM j`;

/**
 * A repeated (tenant, idempotency key) inserts nothing and returns no row. Otherwise the one row
 * is the statement's time, which every timestamp the insert wrote holds: the caller has the rest.
 * With an attempt ($11 id, $12 provider, $13 model, $14 key id; all NULL for none) the job starts
 * running with it, as claimJob would leave it: attempt 1, its `attempt` event at seq 2. $15 true
 * commits it asynchronously (NewJob.asyncCommit).
 */
export const createJob = defineStatement(
  'mediagate_create_job',
  ['text', 'text', 'text', 'jsonb', 'jsonb', 'integer', 'text', 'text', 'jsonb', 'double precision', 'text', 'text', 'text', 'text', 'boolean'],
  `
  WITH j AS (
    INSERT INTO jobs (id, tenant_id, kind, status, request, targets, priority, idempotency_key, batch_id,
                      metadata, estimated_cost_usd, last_seq, attempts_started, started_at)
    VALUES ($1, $2, $3, CASE WHEN $11 IS NULL THEN 'queued' ELSE 'running' END, $4, $5, $6, $7, $8, $9, $10,
            CASE WHEN $11 IS NULL THEN 1 ELSE 2 END, CASE WHEN $11 IS NULL THEN 0 ELSE 1 END,
            CASE WHEN $11 IS NULL THEN NULL ELSE now() END)
    ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id, tenant_id, kind
  ),
  a AS (
    INSERT INTO attempts (id, job_id, number, provider, model, key_id, status)
    SELECT $11, j.id, 1, $12, $13, $14, 'submitting' FROM j WHERE $11 IS NOT NULL
  ),
  e AS (
    INSERT INTO job_events (job_id, tenant_id, seq, type, data)
    SELECT j.id, j.tenant_id, 1, 'queued', jsonb_build_object('kind', j.kind) FROM j
    UNION ALL
    SELECT j.id, j.tenant_id, 2, 'attempt', ${firstAttemptData('$11', '$12', '$13', '$14')} FROM j WHERE $11 IS NOT NULL
  )
  SELECT to_json(now()) AS at, ${asyncCommitWhen('$15')} AS commit FROM j`,
);

/** The job holding an idempotency key, with its first event. */
export const getJobByIdempotencyKey = defineStatement(
  'mediagate_get_job_by_idempotency_key',
  ['text', 'text'],
  `
  SELECT row_to_json(j) AS job,
         (SELECT row_to_json(e) FROM job_events e WHERE e.job_id = j.id AND e.seq = 1) AS event
  FROM jobs j WHERE j.tenant_id = $1 AND j.idempotency_key = $2`,
);

export const getJob = defineStatement('mediagate_get_job', ['text'], `SELECT row_to_json(j) AS job FROM jobs j WHERE j.id = $1`);

export const getTenantJob = defineStatement(
  'mediagate_get_tenant_job',
  ['text', 'text'],
  `SELECT row_to_json(j) AS job FROM jobs j WHERE j.id = $1 AND j.tenant_id = $2`,
);

/**
 * $1 job, $2 type, $3 data; the patch: $4 status, $5 progress, $6 target index, $7 attempt
 * count (each NULL to keep), $8 whether to set the error, $9 the error.
 */
export const appendEvent = defineStatement(
  'mediagate_append_event',
  ['text', 'text', 'jsonb', 'text', 'integer', 'integer', 'integer', 'boolean', 'jsonb'],
  `
  WITH j AS (
    UPDATE jobs SET
      last_seq = last_seq + 1,
      updated_at = now(),
      status = coalesce($4, status),
      started_at = CASE WHEN $4 = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
      finished_at = CASE WHEN $4 IN ('succeeded', 'failed', 'canceled') THEN now() ELSE finished_at END,
      progress = coalesce($5, progress),
      target_index = coalesce($6, target_index),
      attempt_count = coalesce($7, attempt_count),
      error = CASE WHEN $8 THEN $9 ELSE error END
    WHERE id = $1 AND ${live}
    RETURNING id, tenant_id, last_seq
  ),${eventFromJ('$2', '$3')}
  SELECT row_to_json(e) AS event FROM e`,
);

export const listEvents = defineStatement(
  'mediagate_list_events',
  ['text', 'integer', 'text'],
  `
  SELECT row_to_json(e) AS event FROM job_events e
  WHERE e.job_id = $1 AND e.seq > $2 AND ($3::text IS NULL OR e.tenant_id = $3)
  ORDER BY e.seq`,
);

/**
 * Numbers the attempt from `jobs.attempts_started`, bumped under the same row lock as the seq,
 * so concurrent starts on one job get distinct consecutive numbers. $1 attempt id, $2 job,
 * $3 provider, $4 model, $5 key id.
 */
export const startAttempt = defineStatement(
  'mediagate_start_attempt',
  ['text', 'text', 'text', 'text', 'text'],
  `
  WITH j AS (
    UPDATE jobs SET
      last_seq = last_seq + 1,
      attempts_started = attempts_started + 1,
      status = 'running',
      started_at = coalesce(started_at, now()),
      updated_at = now()
    WHERE id = $2 AND ${live}
    RETURNING id, tenant_id, last_seq, attempts_started
  ),
  a AS (
    INSERT INTO attempts (id, job_id, number, provider, model, key_id, status)
    SELECT $1, j.id, j.attempts_started, $3, $4, $5, 'submitting' FROM j
    RETURNING *
  ),${eventFromJ(
    `'attempt'`,
    `jsonb_build_object('attemptId', $1, 'number', j.attempts_started, 'provider', $3, 'model', $4, 'keyId', $5)`,
  )}
  SELECT row_to_json(a) AS attempt, (SELECT row_to_json(e) FROM e) AS event FROM a`,
);

/**
 * The worker's fast path: a queued job on the expected target becomes running with its first
 * attempt in one round trip. Any other job (running, terminal, moved on) is returned as it is,
 * with no attempt, for the caller to decide. $1 attempt id, $2 job, $3 provider, $4 model,
 * $5 key id, $6 target index. Only the job comes back, with whether it was claimed: the attempt
 * and its event hold what the caller sent, the job's new seq and attempt number, and the
 * statement's time (the job's updated_at), so the caller builds them from the job.
 */
export const claimJob = defineStatement(
  'mediagate_claim_job',
  ['text', 'text', 'text', 'text', 'text', 'integer'],
  `
  WITH j AS (
    UPDATE jobs SET
      last_seq = last_seq + 1,
      attempts_started = attempts_started + 1,
      status = 'running',
      started_at = coalesce(started_at, now()),
      updated_at = now()
    WHERE id = $2 AND status = 'queued' AND target_index = $6
    RETURNING *
  ),
  a AS (
    INSERT INTO attempts (id, job_id, number, provider, model, key_id, status)
    SELECT $1, j.id, j.attempts_started, $3, $4, $5, 'submitting' FROM j
  ),${eventFromJ(
    `'attempt'`,
    `jsonb_build_object('attemptId', $1, 'number', j.attempts_started, 'provider', $3, 'model', $4, 'keyId', $5)`,
    false,
  )}
  SELECT row_to_json(j) AS job, TRUE AS claimed FROM j
  UNION ALL
  SELECT row_to_json(x) AS job, FALSE AS claimed FROM jobs x WHERE x.id = $2 AND NOT EXISTS (SELECT 1 FROM j)`,
);

/**
 * Stores the operation handle even when the job turned terminal meanwhile (the provider holds
 * the work either way, and cancelling it needs the handle); only the event depends on the job.
 * $1 attempt id, $2 operation.
 */
export const markAttemptPending = defineStatement(
  'mediagate_mark_attempt_pending',
  ['text', 'jsonb'],
  `
  WITH a AS (
    UPDATE attempts SET status = 'pending', operation = $2, submitted_at = now()
    WHERE id = $1 AND status IN ('submitting', 'pending')
    RETURNING id, job_id, number, provider, model
  ),
  j AS (
    UPDATE jobs SET last_seq = last_seq + 1, updated_at = now()
    WHERE id = (SELECT job_id FROM a) AND ${live}
    RETURNING id, tenant_id, last_seq
  ),
  e AS (
    INSERT INTO job_events (job_id, tenant_id, seq, type, data)
    SELECT j.id, j.tenant_id, j.last_seq, 'submitted',
           jsonb_build_object('attemptId', a.id, 'number', a.number, 'provider', a.provider, 'model', a.model)
    FROM j JOIN a ON a.job_id = j.id
    RETURNING *
  )
  SELECT row_to_json(e) AS event FROM e`,
);

/** $1 attempt id, $2 status, $3 error, $4 cost. */
export const finishAttempt = defineStatement(
  'mediagate_finish_attempt',
  ['text', 'text', 'jsonb', 'double precision'],
  // Only a live attempt: a late write must not turn a succeeded attempt into a failed one.
  `UPDATE attempts SET status = $2, error = $3, cost_usd = $4, finished_at = now() WHERE id = $1 AND status IN ('submitting', 'pending')`,
);

/**
 * $1 job, $2 provider, $3 model, $4 actual cost, $5 assets as a JSON array of rows, $6 event data,
 * $7 the attempt that produced them (NULL: none) and $8 its cost; the attempt is marked succeeded
 * even if the job was canceled meanwhile, because the provider did the work.
 * Assets take tenant and job from the job row, so outputs cannot land under another tenant; an
 * asset id that already exists (stored earlier with insertAsset) is kept as it is. Only the job
 * comes back: its event holds $6, the job's new seq and the statement's time (its updated_at).
 */
export const completeJob = defineStatement(
  'mediagate_complete_job',
  ['text', 'text', 'text', 'double precision', 'jsonb', 'jsonb', 'text', 'double precision'],
  `
  WITH fa AS (
    UPDATE attempts SET status = 'succeeded', error = NULL, cost_usd = $8, finished_at = now()
    WHERE id = $7 AND job_id = $1
  ),
  j AS (
    UPDATE jobs SET
      last_seq = last_seq + 1,
      status = 'succeeded',
      progress = 100,
      provider = $2,
      model = $3,
      actual_cost_usd = $4,
      error = NULL,
      output_asset_ids = ARRAY(SELECT x.value ->> 'id' FROM jsonb_array_elements($5) WITH ORDINALITY AS x(value, n) ORDER BY x.n),
      finished_at = now(),
      updated_at = now()
    WHERE id = $1 AND ${live}
    RETURNING *
  ),
  a AS (
    INSERT INTO assets (id, tenant_id, job_id, sha256, size, mime, kind, width, height, duration_ms, storage_key)
    SELECT x.id, j.tenant_id, j.id, x.sha256, x.size, x.mime, x.kind, x.width, x.height, x.duration_ms, x.storage_key
    FROM j, jsonb_to_recordset($5) AS x(id text, sha256 text, size bigint, mime text, kind text, width integer,
                                        height integer, duration_ms integer, storage_key text)
    ON CONFLICT (id) DO NOTHING
  ),${eventFromJ(`'succeeded'`, '$6', false)}
  SELECT row_to_json(j) AS job FROM j`,
);

/** $1 job, $2 error, $3 event data. */
export const failJob = defineStatement(
  'mediagate_fail_job',
  ['text', 'jsonb', 'jsonb'],
  `
  WITH j AS (
    UPDATE jobs SET last_seq = last_seq + 1, status = 'failed', error = $2, finished_at = now(), updated_at = now()
    WHERE id = $1 AND ${live}
    RETURNING *
  ),${eventFromJ(`'failed'`, '$3')}
  ${jobAndEvent}`,
);

/** $1 job, $2 tenant (NULL: any tenant). */
export const cancelJob = defineStatement(
  'mediagate_cancel_job',
  ['text', 'text'],
  `
  WITH j AS (
    UPDATE jobs SET last_seq = last_seq + 1, status = 'canceled', finished_at = now(), updated_at = now()
    WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2) AND ${live}
    RETURNING *
  ),${eventFromJ(`'canceled'`, `'{}'::jsonb`)}
  ${jobAndEvent}`,
);

export const jobStatements = [
  createJob,
  getJobByIdempotencyKey,
  getJob,
  getTenantJob,
  appendEvent,
  listEvents,
  startAttempt,
  claimJob,
  markAttemptPending,
  finishAttempt,
  completeJob,
  failJob,
  cancelJob,
];
