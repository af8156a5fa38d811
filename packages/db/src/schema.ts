// The Drizzle schema for both backends (PGlite and PostgreSQL); drizzle-kit generates the SQL
// migrations in db/ from this file, so every change here needs a reviewed migration.
import type { AttemptStatus, ErrorRecord, GenerationRequest, JobKind, JobStatus, Target } from '@mediagate/core';
import { sql } from 'drizzle-orm';
import {
  bigint,
  customType,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { AssetKind, Json, JobEventType, ProviderKeyRecord } from './repository.ts';
import type { WebhookAttemptLogEntry, WebhookDeliveryStatus } from './webhook-types.ts';

/**
 * jsonb whose driver value is taken as is. Both drivers already parse jsonb; drizzle's own
 * `jsonb()` parses strings a second time, which turns a stored JSON string such as "123" into
 * the number 123 — wrong for opaque provider operation handles.
 */
const jsonb = <T>(name: string) =>
  customType<{ data: T; driverData: unknown }>({
    dataType: () => 'jsonb',
    toDriver: (value) => JSON.stringify(value),
    fromDriver: (value) => value as T,
  })(name);

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/** One row naming this database, so processes sharing it (and only those) share queues in Redis. */
export const instance = pgTable('instance', {
  /** Always 'this': the primary key makes the table hold one row. */
  singleton: text('singleton').primaryKey().default('this'),
  id: text('id').notNull(),
  createdAt: createdAt(),
});

export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    prefix: text('prefix').notNull(),
    /** Hash of the full key; the key itself is never stored. */
    hash: text('hash').notNull().unique('api_keys_hash_unique'),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (table) => [index('api_keys_tenant_id_idx').on(table.tenantId)],
);

// USD amounts are double precision: they are computed as JS numbers from pricing data and must
// read back exactly as written; sums over many jobs tolerate float rounding.
export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    // No foreign key to tenants: the hot insert path stays one index lighter, and tenant rows
    // are created by ensureTenant, not required before a job.
    tenantId: text('tenant_id').notNull(),
    kind: text('kind').$type<JobKind>().notNull(),
    status: text('status').$type<JobStatus>().notNull().default('queued'),
    request: jsonb<GenerationRequest>('request').notNull(),
    targets: jsonb<Target[]>('targets').notNull(),
    targetIndex: integer('target_index').notNull().default(0),
    provider: text('provider'),
    model: text('model'),
    /** Whole percent; the repository rounds what it is given. */
    progress: integer('progress').notNull().default(0),
    lastSeq: integer('last_seq').notNull().default(0),
    /** Attempts started so far: numbers the next attempt without counting rows under a race. */
    attemptsStarted: integer('attempts_started').notNull().default(0),
    priority: integer('priority').notNull().default(0),
    idempotencyKey: text('idempotency_key'),
    batchId: text('batch_id'),
    metadata: jsonb<Record<string, string>>('metadata').notNull().default(sql`'{}'::jsonb`),
    error: jsonb<ErrorRecord>('error'),
    estimatedCostUsd: doublePrecision('estimated_cost_usd'),
    actualCostUsd: doublePrecision('actual_cost_usd'),
    attemptCount: integer('attempt_count').notNull().default(0),
    outputAssetIds: text('output_asset_ids').array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  // No index on status or other columns a transition changes: then the three updates of a job's
  // life can be HOT updates (no index writes at all), which the migration helps with a
  // fillfactor. Status filters scan the (tenant, id) index newest first.
  (table) => [
    index('jobs_tenant_id_id_idx').on(table.tenantId, table.id.desc()),
    uniqueIndex('jobs_tenant_id_idempotency_key_idx')
      .on(table.tenantId, table.idempotencyKey)
      .where(sql`${table.idempotencyKey} is not null`),
    index('jobs_batch_id_idx').on(table.batchId).where(sql`${table.batchId} is not null`),
  ],
);

export const attempts = pgTable(
  'attempts',
  {
    id: text('id').primaryKey(),
    // No foreign key, as for job_events below: see the note there.
    jobId: text('job_id').notNull(),
    number: integer('number').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    keyId: text('key_id'),
    status: text('status').$type<AttemptStatus>().notNull(),
    operation: jsonb<Json>('operation'),
    error: jsonb<ErrorRecord>('error'),
    costUsd: doublePrecision('cost_usd'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  // Also serves lookups by job_id alone.
  (table) => [uniqueIndex('attempts_job_id_number_idx').on(table.jobId, table.number)],
);

// No foreign key to jobs here or on attempts: rows are only ever inserted by statements that
// take job_id from the job row they have just locked (job-statements.ts), so the check can never
// fail, and skipping it saves ≈13% of the job hot path on PGlite (measured).
export const jobEvents = pgTable(
  'job_events',
  {
    jobId: text('job_id').notNull(),
    seq: integer('seq').notNull(),
    tenantId: text('tenant_id').notNull(),
    type: text('type').$type<JobEventType>().notNull(),
    data: jsonb<Record<string, Json>>('data').notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.jobId, table.seq], name: 'job_events_pkey' })],
);

export const assets = pgTable(
  'assets',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    jobId: text('job_id').references(() => jobs.id, { onDelete: 'set null' }),
    sha256: text('sha256').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    mime: text('mime').notNull(),
    kind: text('kind').$type<AssetKind>().notNull(),
    width: integer('width'),
    height: integer('height'),
    durationMs: integer('duration_ms'),
    storageKey: text('storage_key').notNull(),
    createdAt: createdAt(),
  },
  (table) => [index('assets_job_id_idx').on(table.jobId), index('assets_sha256_idx').on(table.sha256)],
);

export const providerKeys = pgTable(
  'provider_keys',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    pool: text('pool').notNull(),
    secret: text('secret').notNull(),
    status: text('status').$type<ProviderKeyRecord['status']>().notNull().default('active'),
    limits: jsonb<Record<string, number>>('limits').notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (table) => [index('provider_keys_provider_pool_idx').on(table.provider, table.pool)],
);

/**
 * Each tenant's webhook endpoint and signing secret. The secret is stored sealed (AES-GCM under
 * the master secret, see the engine's secrets.ts); after a rotation the previous one keeps
 * signing beside it until `previousSecretExpiresAt`, so receivers can switch without a gap.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  tenantId: text('tenant_id').primaryKey(),
  /** Where terminal job states are POSTed; null when only a secret exists (for per-job URLs). */
  url: text('url'),
  secretSealed: text('secret_sealed').notNull(),
  secretCreatedAt: timestamp('secret_created_at', { withTimezone: true }).notNull().defaultNow(),
  previousSecretSealed: text('previous_secret_sealed'),
  previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
  /** Set when the receiver answered 410 Gone: no new messages go to `url` until it is set again. */
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
  disabledReason: text('disabled_reason'),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The webhook outbox and delivery log: one row per message (a job reaching a terminal state),
 * with every attempt in `attemptLog`. Rows are inserted by a trigger on jobs (migration
 * 0001_webhooks) in the same transaction as the terminal write, so no message is lost to a crash.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    /** `msg_<job id>`: the webhook-id header, the same on every retry. */
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    jobId: text('job_id').notNull(),
    /** job.succeeded, job.failed or job.canceled. */
    eventType: text('event_type').notNull(),
    url: text('url').notNull(),
    status: text('status').$type<WebhookDeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    attemptLog: jsonb<WebhookAttemptLogEntry[]>('attempt_log').notNull().default(sql`'[]'::jsonb`),
    /** The exact body sent, fixed at the first attempt so every retry carries the same bytes. */
    payload: text('payload'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    /** When a delivery worker's queue took it; null means the relay has yet to enqueue it. */
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [
    index('webhook_deliveries_tenant_id_id_idx').on(table.tenantId, table.id.desc()),
    index('webhook_deliveries_job_id_idx').on(table.jobId),
    // Only messages still to deliver: small, and what the relay scans.
    index('webhook_deliveries_pending_idx').on(table.id).where(sql`${table.status} = 'pending'`),
  ],
);

/**
 * Money held and spent per tenant and budget period (`day:2026-11-21`, `month:2026-11`). A
 * reservation locks the tenant's rows, so parallel submits cannot together pass a limit.
 */
export const budgetCounters = pgTable(
  'budget_counters',
  {
    tenantId: text('tenant_id').notNull(),
    period: text('period').notNull(),
    /** Estimates of jobs not yet ended. */
    reservedUsd: doublePrecision('reserved_usd').notNull().default(0),
    /** Actual costs of ended jobs. */
    spentUsd: doublePrecision('spent_usd').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.period], name: 'budget_counters_pkey' })],
);

/** What one job holds against its tenant's budget periods until it ends and is settled. */
export const budgetReservations = pgTable(
  'budget_reservations',
  {
    jobId: text('job_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    periods: text('periods').array().notNull(),
    usd: doublePrecision('usd').notNull(),
    /** Set once, when the job ended: the reservation left the counters and the actual cost entered them. */
    actualUsd: doublePrecision('actual_usd'),
    createdAt: createdAt(),
    settledAt: timestamp('settled_at', { withTimezone: true }),
  },
  // Only reservations still open: what the sweep looks through for jobs that ended unsettled.
  (table) => [index('budget_reservations_open_idx').on(table.createdAt).where(sql`${table.settledAt} is null`)],
);

/** Named request bundles a tenant made through /v1/presets (the config file's live beside them). */
export const presets = pgTable(
  'presets',
  {
    tenantId: text('tenant_id').notNull(),
    name: text('name').notNull(),
    kind: text('kind').$type<JobKind>(),
    /** A route name or "provider/model". */
    model: text('model'),
    params: jsonb<Record<string, Json>>('params').notNull().default(sql`'{}'::jsonb`),
    description: text('description'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.name], name: 'presets_pkey' })],
);
