// Row decoding shared by both drivers: turns `row_to_json` output of the job statements, and
// Drizzle's typed rows, into the record types the Repository returns.
import type { AssetRecord, AttemptRecord, JobEvent, JobRecord, ProviderKeyRecord, TenantRecord } from './repository.ts';
import type { assets, attempts, jobs, providerKeys, tenants } from './schema.ts';

// Decoders of `row_to_json` output (what the job statements answer with), straight into records:
// JSON already gives numbers, arrays and parsed jsonb, so only timestamps need converting, with
// the same `new Date(text)` Drizzle's timestamp column uses.

function object(raw: unknown, what: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null) throw new TypeError(`expected a ${what} row, got ${String(raw)}`);
  return raw as Record<string, unknown>;
}

function date(value: unknown): Date {
  return new Date(value as string);
}

function dateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(value as string);
}

function orNull<T>(value: unknown): T | null {
  return value === undefined ? null : (value as T | null);
}

/** A `jobs` row as `row_to_json` writes it; `attemptsStarted` is not part of the record. */
export function jobFromJson(raw: unknown): { job: JobRecord; attemptsStarted: number } {
  const row = object(raw, 'jobs');
  const job: JobRecord = {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    kind: row.kind as JobRecord['kind'],
    status: row.status as JobRecord['status'],
    request: row.request as JobRecord['request'],
    targets: row.targets as JobRecord['targets'],
    targetIndex: row.target_index as number,
    provider: orNull(row.provider),
    model: orNull(row.model),
    progress: row.progress as number,
    lastSeq: row.last_seq as number,
    priority: row.priority as number,
    idempotencyKey: orNull(row.idempotency_key),
    batchId: orNull(row.batch_id),
    metadata: row.metadata as JobRecord['metadata'],
    error: orNull(row.error),
    estimatedCostUsd: orNull(row.estimated_cost_usd),
    actualCostUsd: orNull(row.actual_cost_usd),
    attemptCount: row.attempt_count as number,
    outputAssetIds: row.output_asset_ids as string[],
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
    startedAt: dateOrNull(row.started_at),
    finishedAt: dateOrNull(row.finished_at),
  };
  return { job, attemptsStarted: row.attempts_started as number };
}

/** A `job_events` row as `row_to_json` writes it. */
export function eventFromJson(raw: unknown): JobEvent {
  const row = object(raw, 'job_events');
  return {
    jobId: row.job_id as string,
    tenantId: row.tenant_id as string,
    seq: row.seq as number,
    type: row.type as JobEvent['type'],
    data: row.data as JobEvent['data'],
    createdAt: date(row.created_at),
  };
}

/** An `attempts` row as `row_to_json` writes it. */
export function attemptFromJson(raw: unknown): AttemptRecord {
  const row = object(raw, 'attempts');
  return {
    id: row.id as string,
    jobId: row.job_id as string,
    number: row.number as number,
    provider: row.provider as string,
    model: row.model as string,
    keyId: orNull(row.key_id),
    status: row.status as AttemptRecord['status'],
    operation: orNull(row.operation),
    error: orNull(row.error),
    costUsd: orNull(row.cost_usd),
    startedAt: date(row.started_at),
    submittedAt: dateOrNull(row.submitted_at),
    finishedAt: dateOrNull(row.finished_at),
  };
}

/** The rows of a raw `execute` result; both drivers answer with `{ rows }`. */
export function resultRows(result: unknown): Record<string, unknown>[] {
  if (typeof result === 'object' && result !== null && 'rows' in result && Array.isArray(result.rows)) {
    return result.rows as Record<string, unknown>[];
  }
  throw new TypeError('database driver returned a result without rows');
}

export function toTenantRecord(row: typeof tenants.$inferSelect): TenantRecord {
  return { id: row.id, name: row.name, createdAt: row.createdAt };
}

export function toJobRecord(row: typeof jobs.$inferSelect): JobRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    kind: row.kind,
    status: row.status,
    request: row.request,
    targets: row.targets,
    targetIndex: row.targetIndex,
    provider: row.provider,
    model: row.model,
    progress: row.progress,
    lastSeq: row.lastSeq,
    priority: row.priority,
    idempotencyKey: row.idempotencyKey,
    batchId: row.batchId,
    metadata: row.metadata,
    error: row.error,
    estimatedCostUsd: row.estimatedCostUsd,
    actualCostUsd: row.actualCostUsd,
    attemptCount: row.attemptCount,
    outputAssetIds: row.outputAssetIds,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

export function toAttemptRecord(row: typeof attempts.$inferSelect): AttemptRecord {
  return {
    id: row.id,
    jobId: row.jobId,
    number: row.number,
    provider: row.provider,
    model: row.model,
    keyId: row.keyId,
    status: row.status,
    operation: row.operation,
    error: row.error,
    costUsd: row.costUsd,
    startedAt: row.startedAt,
    submittedAt: row.submittedAt,
    finishedAt: row.finishedAt,
  };
}

export function toAssetRecord(row: typeof assets.$inferSelect): AssetRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    jobId: row.jobId,
    sha256: row.sha256,
    size: row.size,
    mime: row.mime,
    kind: row.kind,
    width: row.width,
    height: row.height,
    durationMs: row.durationMs,
    storageKey: row.storageKey,
    createdAt: row.createdAt,
  };
}

export function toProviderKeyRecord(row: typeof providerKeys.$inferSelect): ProviderKeyRecord {
  return {
    id: row.id,
    provider: row.provider,
    pool: row.pool,
    secret: row.secret,
    status: row.status,
    limits: row.limits,
    createdAt: row.createdAt,
  };
}
