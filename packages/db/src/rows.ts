// Row decoding shared by both drivers: turns `row_to_json` output of multi-statement writes into
// Drizzle's typed rows, and typed rows into the record types the Repository returns.
import { getTableColumns, getTableName } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { AssetRecord, AttemptRecord, JobEvent, JobRecord, ProviderKeyRecord, TenantRecord } from './repository.ts';
import type { assets, attempts, jobEvents, jobs, providerKeys, tenants } from './schema.ts';

/**
 * Decodes a row whose keys are column names (as `row_to_json` writes them) with each column's
 * own driver mapping, so timestamps become Dates and numbers numbers, the same as a Drizzle select.
 */
export function decodeRow<TTable extends PgTable>(table: TTable, raw: unknown): TTable['$inferSelect'] {
  if (typeof raw !== 'object' || raw === null) {
    throw new TypeError(`expected a ${getTableName(table)} row, got ${String(raw)}`);
  }
  const source = raw as Record<string, unknown>;
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = source[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as TTable['$inferSelect'];
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

export function toJobEvent(row: typeof jobEvents.$inferSelect): JobEvent {
  return { jobId: row.jobId, tenantId: row.tenantId, seq: row.seq, type: row.type, data: row.data, createdAt: row.createdAt };
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
