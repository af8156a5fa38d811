// The records the hot-path statements answer with, built here from what the caller sent plus the
// little the statement returns (the job row, or only the statement's time) instead of read back.
//
// What makes this exact: every timestamp a statement writes is now(), the transaction's start,
// so the job's updated_at dates its attempt and event too; jsonb is copied as it reads back
// (stored-json.ts); event data keys are written in jsonb's order. The repository suite compares
// each answer with the stored rows.
import type { ClaimResult, CreatedJob, JobEvent, JobRecord, Json, NewAsset, NewJob, NewJobAttempt, Repository } from './repository.ts';
import { jobFromJson } from './rows.ts';
import { asStoredJson } from './stored-json.ts';

export type JobWithEvent = { job: JobRecord; event: JobEvent };
export type ClaimInput = Parameters<Repository['claimJob']>[0];

/**
 * The data of a completion's event, stored as it is and handed back without reading it again:
 * keys in the order jsonb keeps them (shorter first), so both copies print alike.
 */
export function completionEvent(result: {
  provider: string;
  model: string;
  assets: readonly NewAsset[];
  actualCostUsd: number | null;
}): Record<string, Json> {
  return asStoredJson({
    model: result.model,
    assetIds: result.assets.map((asset) => asset.id),
    provider: result.provider,
    actualCostUsd: result.actualCostUsd,
  });
}

/** A job just inserted, as the row reads back: the caller's values, defaults and the statement's time `at`. */
export function createdJob(job: NewJob, at: string): CreatedJob {
  const createdAt = new Date(at);
  const first = job.attempt;
  const created: CreatedJob = {
    job: {
      id: job.id,
      tenantId: job.tenantId,
      kind: job.kind,
      status: first === undefined ? 'queued' : 'running',
      // Copies as jsonb gives them back, not the caller's objects.
      request: asStoredJson(job.request),
      targets: asStoredJson(job.targets),
      targetIndex: 0,
      provider: null,
      model: null,
      progress: 0,
      lastSeq: first === undefined ? 1 : 2,
      priority: job.priority ?? 0,
      idempotencyKey: job.idempotencyKey ?? null,
      batchId: job.batchId ?? null,
      metadata: asStoredJson(job.metadata ?? {}),
      error: null,
      estimatedCostUsd: job.estimatedCostUsd ?? null,
      actualCostUsd: null,
      attemptCount: 0,
      outputAssetIds: [],
      createdAt,
      updatedAt: new Date(createdAt.getTime()),
      startedAt: first === undefined ? null : new Date(createdAt.getTime()),
      finishedAt: null,
    },
    event: {
      jobId: job.id,
      tenantId: job.tenantId,
      seq: 1,
      type: 'queued',
      data: { kind: job.kind },
      createdAt: new Date(createdAt.getTime()),
    },
  };
  if (first !== undefined) created.started = attemptStarted(first, created.job, 1, createdAt.getTime());
  return created;
}

/** The answer to a claim: the job row, and when `claimed`, the attempt and event the statement wrote. */
export function claimResult(input: ClaimInput, raw: unknown, claimed: boolean): ClaimResult {
  const { job, attemptsStarted } = jobFromJson(raw);
  if (!claimed) return { job };
  // Written with the job's update, so at its updated_at.
  const started = attemptStarted({ id: input.attemptId, provider: input.provider, model: input.model, keyId: input.keyId }, job, attemptsStarted, job.updatedAt.getTime());
  return { job, ...started };
}

/** An attempt a statement just started on `job` (whose lastSeq is its event's), and that event, written at `at`. */
function attemptStarted(input: NewJobAttempt, job: JobRecord, number: number, at: number): NonNullable<CreatedJob['started']> {
  return {
    attempt: {
      id: input.id,
      jobId: job.id,
      number,
      provider: input.provider,
      model: input.model,
      keyId: input.keyId,
      status: 'submitting',
      operation: null,
      error: null,
      costUsd: null,
      startedAt: new Date(at),
      submittedAt: null,
      finishedAt: null,
    },
    event: {
      jobId: job.id,
      tenantId: job.tenantId,
      seq: job.lastSeq,
      type: 'attempt',
      // Keys in jsonb's order, as listEvents reads them.
      data: { keyId: input.keyId, model: input.model, number, provider: input.provider, attemptId: input.id },
      createdAt: new Date(at),
    },
  };
}

/** The answer to a completion: the job row and the event written with it (`data` as sent). */
export function completedJob(raw: unknown, data: Record<string, Json>): JobWithEvent {
  const { job } = jobFromJson(raw);
  const createdAt = new Date(job.updatedAt.getTime());
  return { job, event: { jobId: job.id, tenantId: job.tenantId, seq: job.lastSeq, type: 'succeeded', data, createdAt } };
}
