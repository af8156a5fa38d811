// The Repository over Drizzle, one class for both drivers (node-postgres and PGlite share
// PgDatabase). Job transitions are single statements from job-statements.ts; the rest is plain Drizzle.
import { randomBytes } from 'node:crypto';
import type { AttemptStatus, ErrorRecord, JobStatus } from '@mediagate/core';
import { jobStatuses } from '@mediagate/core';
import type { SQL } from 'drizzle-orm';
import { and, asc, count, desc, eq, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as apiKeyStatements from './api-keys.ts';
import * as batch from './batch-statements.ts';
import { Batcher } from './batcher.ts';
import { deleteJobRows, jobListConditions } from './job-queries.ts';
import * as statements from './job-statements.ts';
import { execute } from './prepared.ts';
import { DrizzleWebhookRepository } from './webhooks.ts';
import { DrizzlePresets } from './presets.ts';
import { DrizzleSpending } from './spending.ts';
import type {
  ApiKeyMatch,
  ApiKeyRecord,
  AssetRecord,
  AttemptRecord,
  ClaimResult,
  JobEvent,
  JobEventType,
  JobGroupCount,
  JobListFilter,
  JobPatch,
  JobRecord,
  Json,
  NewApiKey,
  NewAsset,
  NewJob,
  ProviderKeyRecord,
  Repository,
  TenantRecord,
} from './repository.ts';
import {
  decodeRow,
  resultRows,
  toAssetRecord,
  toAttemptRecord,
  toJobEvent,
  toJobRecord,
  toProviderKeyRecord,
  toTenantRecord,
} from './rows.ts';
import * as schema from './schema.ts';

const { assets, attempts, instance, jobEvents, jobs, providerKeys, tenants } = schema;

/** Either driver's database: both are PgDatabase over this schema. */
export type MediagateDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

type JobWithEvent = { job: JobRecord; event: JobEvent };

/**
 * Needs the statements of job-statements.ts prepared on every connection it uses (open.ts does
 * that when a connection opens).
 */
/** Assets as the completion statements read them (snake_case columns). */
function assetRows(assets: readonly NewAsset[]) {
  return assets.map((asset) => ({
    id: asset.id,
    sha256: asset.sha256,
    size: asset.size,
    mime: asset.mime,
    kind: asset.kind,
    width: asset.width,
    height: asset.height,
    // The column holds whole milliseconds; a probe may measure fractions.
    duration_ms: asset.durationMs === null ? null : Math.round(asset.durationMs),
    storage_key: asset.storageKey,
  }));
}

function completionEvent(result: { provider: string; model: string; assets: readonly NewAsset[]; actualCostUsd: number | null }) {
  return {
    provider: result.provider,
    model: result.model,
    assetIds: result.assets.map((asset) => asset.id),
    actualCostUsd: result.actualCostUsd,
  };
}

type ClaimInput = Parameters<Repository['claimJob']>[0];
type CompleteInput = { jobId: string; result: Parameters<Repository['completeJob']>[1] };

export class DrizzleRepository implements Repository {
  readonly #db: MediagateDatabase;
  readonly #close: () => Promise<void>;
  readonly webhooks: DrizzleWebhookRepository;
  readonly spending: DrizzleSpending;
  readonly presets: DrizzlePresets;
  // Concurrent creates, claims and completions go out as one statement each (group commit).
  readonly #creates: Batcher<NewJob, JobWithEvent | undefined>;
  readonly #claims: Batcher<ClaimInput, ClaimResult | undefined>;
  readonly #completions: Batcher<CompleteInput, JobWithEvent | undefined>;

  /** `parallel`: statements of one kind running at once (1 for PGlite's single connection). */
  constructor(db: MediagateDatabase, close: () => Promise<void>, options: { parallel?: number } = {}) {
    this.#db = db;
    this.#close = close;
    this.webhooks = new DrizzleWebhookRepository(db);
    this.spending = new DrizzleSpending(db);
    this.presets = new DrizzlePresets(db);
    const batching = { parallel: options.parallel ?? 1 };
    this.#creates = new Batcher((inputs) => this.#createJobs(inputs), (input) => this.#createJob(input), batching);
    this.#claims = new Batcher((inputs) => this.#claimJobs(inputs), (input) => this.#claimJob(input), batching);
    this.#completions = new Batcher(
      (inputs) => this.#completeJobs(inputs),
      (input) => this.#completeJob(input.jobId, input.result),
      batching,
    );
  }

  async #rows(statement: SQL): Promise<Record<string, unknown>[]> {
    return resultRows(await this.#db.execute(statement));
  }

  async #jobWithEvent(statement: SQL): Promise<JobWithEvent | undefined> {
    const [row] = await this.#rows(statement);
    if (row?.job === undefined || row.job === null) return undefined;
    return { job: toJobRecord(decodeRow(jobs, row.job)), event: toJobEvent(decodeRow(jobEvents, row.event)) };
  }

  async instanceId(): Promise<string> {
    // The first process to get here writes it; every later one (racing or not) reads that one.
    await this.#db.insert(instance).values({ singleton: 'this', id: randomBytes(6).toString('hex') }).onConflictDoNothing();
    const [row] = await this.#db.select().from(instance).where(eq(instance.singleton, 'this'));
    if (!row) throw new Error('the instance id was not stored');
    return row.id;
  }

  async ensureTenant(id: string, name: string): Promise<TenantRecord> {
    const [inserted] = await this.#db.insert(tenants).values({ id, name }).onConflictDoNothing().returning();
    if (inserted) return toTenantRecord(inserted);
    // A separate statement: it must see a row another transaction committed while we waited.
    const [existing] = await this.#db.select().from(tenants).where(eq(tenants.id, id));
    if (!existing) throw new Error(`tenant ${id} vanished while being ensured`);
    return toTenantRecord(existing);
  }

  getTenant(id: string): Promise<TenantRecord | undefined> {
    return apiKeyStatements.getTenant(this.#db, id);
  }

  createApiKey(key: NewApiKey): Promise<ApiKeyRecord> {
    return apiKeyStatements.insertApiKey(this.#db, key);
  }

  findApiKeyByHash(hash: string): Promise<ApiKeyMatch | undefined> {
    return apiKeyStatements.findApiKeyByHash(this.#db, hash);
  }

  listApiKeys(filter?: { tenantId?: string; active?: boolean }): Promise<ApiKeyRecord[]> {
    return apiKeyStatements.listApiKeys(this.#db, filter);
  }

  revokeApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    return apiKeyStatements.revokeApiKey(this.#db, id);
  }

  async createJob(job: NewJob): Promise<JobWithEvent> {
    const created = await this.#creates.submit(job);
    if (created) return created;
    return this.#existingByIdempotencyKey(job);
  }

  #createJob(job: NewJob): Promise<JobWithEvent | undefined> {
    return this.#jobWithEvent(
      execute(statements.createJob, [
        job.id,
        job.tenantId,
        job.kind,
        job.request,
        job.targets,
        job.priority ?? 0,
        job.idempotencyKey ?? null,
        job.batchId ?? null,
        job.metadata ?? {},
        job.estimatedCostUsd ?? null,
        { kind: job.kind },
      ]),
    );
  }

  async #createJobs(inputs: NewJob[]): Promise<(JobWithEvent | undefined)[]> {
    const rows = await this.#rows(
      execute(batch.createJobs, [
        inputs.map((job, ord) => ({
          ord,
          id: job.id,
          tenant_id: job.tenantId,
          kind: job.kind,
          request: job.request,
          targets: job.targets,
          priority: job.priority ?? 0,
          idempotency_key: job.idempotencyKey ?? null,
          batch_id: job.batchId ?? null,
          metadata: job.metadata ?? {},
          estimated_cost_usd: job.estimatedCostUsd ?? null,
          event_data: { kind: job.kind },
        })),
      ]),
    );
    return rows.map((row) =>
      row.job === null || row.job === undefined
        ? undefined
        : { job: toJobRecord(decodeRow(jobs, row.job)), event: toJobEvent(decodeRow(jobEvents, row.event)) },
    );
  }

  async #existingByIdempotencyKey(job: NewJob): Promise<JobWithEvent> {
    if (job.idempotencyKey === undefined || job.idempotencyKey === null) {
      throw new Error(`job ${job.id} was not inserted`);
    }
    const existing = await this.#jobWithEvent(execute(statements.getJobByIdempotencyKey, [job.tenantId, job.idempotencyKey]));
    if (!existing) throw new Error(`job with idempotency key ${job.idempotencyKey} was neither inserted nor found`);
    return existing;
  }

  async getJobByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<JobRecord | undefined> {
    return (await this.#jobWithEvent(execute(statements.getJobByIdempotencyKey, [tenantId, idempotencyKey])))?.job;
  }

  async getJob(id: string, tenantId?: string): Promise<JobRecord | undefined> {
    const statement = tenantId === undefined ? execute(statements.getJob, [id]) : execute(statements.getTenantJob, [id, tenantId]);
    const [row] = await this.#rows(statement);
    return row ? toJobRecord(decodeRow(jobs, row.job)) : undefined;
  }

  async listJobs(filter: JobListFilter): Promise<JobRecord[]> {
    const rows = await this.#db
      .select()
      .from(jobs)
      .where(and(...jobListConditions(filter)))
      .orderBy(desc(jobs.id))
      .limit(filter.limit);
    return rows.map(toJobRecord);
  }

  async appendEvent(jobId: string, type: JobEventType, data: Record<string, Json>, patch?: JobPatch): Promise<JobEvent | undefined> {
    const values = [
      jobId,
      type,
      data,
      patch?.status ?? null,
      patch?.progress === undefined ? null : Math.round(Math.min(100, Math.max(0, patch.progress))),
      patch?.targetIndex ?? null,
      patch?.attemptCount ?? null,
      patch?.error !== undefined,
      patch?.error ?? null,
    ];
    const [row] = await this.#rows(execute(statements.appendEvent, values));
    return row ? toJobEvent(decodeRow(jobEvents, row.event)) : undefined;
  }

  async listEvents(jobId: string, afterSeq: number, tenantId?: string): Promise<JobEvent[]> {
    const rows = await this.#rows(execute(statements.listEvents, [jobId, afterSeq, tenantId ?? null]));
    return rows.map((row) => toJobEvent(decodeRow(jobEvents, row.event)));
  }

  async startAttempt(input: {
    id: string;
    jobId: string;
    provider: string;
    model: string;
    keyId: string | null;
  }): Promise<{ attempt: AttemptRecord; event: JobEvent } | undefined> {
    const [row] = await this.#rows(execute(statements.startAttempt, [input.id, input.jobId, input.provider, input.model, input.keyId]));
    if (!row) return undefined;
    return { attempt: toAttemptRecord(decodeRow(attempts, row.attempt)), event: toJobEvent(decodeRow(jobEvents, row.event)) };
  }

  claimJob(input: ClaimInput): Promise<ClaimResult | undefined> {
    return this.#claims.submit(input);
  }

  async #claimJobs(inputs: ClaimInput[]): Promise<(ClaimResult | undefined)[]> {
    // One job twice in a batch would be answered from a stale snapshot: let singles handle it.
    if (new Set(inputs.map((input) => input.jobId)).size !== inputs.length) throw new Error('duplicate job in claim batch');
    const rows = await this.#rows(
      execute(batch.claimJobs, [
        inputs.map((input, ord) => ({
          ord,
          attempt_id: input.attemptId,
          job_id: input.jobId,
          provider: input.provider,
          model: input.model,
          key_id: input.keyId,
          target_index: input.targetIndex,
        })),
      ]),
    );
    return rows.map((row) => this.#claimResult(row));
  }

  #claimResult(row: Record<string, unknown>): ClaimResult | undefined {
    if (row.job === null || row.job === undefined) return undefined;
    const job = toJobRecord(decodeRow(jobs, row.job));
    if (row.attempt === null || row.attempt === undefined) return { job };
    return {
      job,
      attempt: toAttemptRecord(decodeRow(attempts, row.attempt)),
      event: toJobEvent(decodeRow(jobEvents, row.event)),
    };
  }

  async #claimJob(input: ClaimInput): Promise<ClaimResult | undefined> {
    const [row] = await this.#rows(
      execute(statements.claimJob, [input.attemptId, input.jobId, input.provider, input.model, input.keyId, input.targetIndex]),
    );
    return row ? this.#claimResult(row) : undefined;
  }

  async markAttemptPending(attemptId: string, operation: Json): Promise<JobEvent | undefined> {
    const [row] = await this.#rows(execute(statements.markAttemptPending, [attemptId, operation]));
    return row ? toJobEvent(decodeRow(jobEvents, row.event)) : undefined;
  }

  async finishAttempt(
    attemptId: string,
    result: { status: Exclude<AttemptStatus, 'submitting' | 'pending'>; error?: ErrorRecord | null; costUsd?: number | null },
  ): Promise<void> {
    await this.#db.execute(execute(statements.finishAttempt, [attemptId, result.status, result.error ?? null, result.costUsd ?? null]));
  }

  async listAttempts(jobId: string): Promise<AttemptRecord[]> {
    const rows = await this.#db.select().from(attempts).where(eq(attempts.jobId, jobId)).orderBy(asc(attempts.number));
    return rows.map(toAttemptRecord);
  }

  completeJob(jobId: string, result: CompleteInput['result']): Promise<JobWithEvent | undefined> {
    return this.#completions.submit({ jobId, result });
  }

  async #completeJobs(inputs: CompleteInput[]): Promise<(JobWithEvent | undefined)[]> {
    if (new Set(inputs.map((input) => input.jobId)).size !== inputs.length) throw new Error('duplicate job in completion batch');
    const rows = await this.#rows(
      execute(batch.completeJobs, [
        inputs.map(({ jobId, result }, ord) => ({
          ord,
          job_id: jobId,
          provider: result.provider,
          model: result.model,
          actual_cost_usd: result.actualCostUsd,
          assets: assetRows(result.assets),
          event_data: completionEvent(result),
          attempt_id: result.attempt?.id ?? null,
          attempt_cost_usd: result.attempt?.costUsd ?? null,
        })),
      ]),
    );
    return rows.map((row) =>
      row.job === null || row.job === undefined
        ? undefined
        : { job: toJobRecord(decodeRow(jobs, row.job)), event: toJobEvent(decodeRow(jobEvents, row.event)) },
    );
  }

  #completeJob(jobId: string, result: CompleteInput['result']): Promise<JobWithEvent | undefined> {
    return this.#jobWithEvent(
      execute(statements.completeJob, [
        jobId,
        result.provider,
        result.model,
        result.actualCostUsd,
        assetRows(result.assets),
        completionEvent(result),
        result.attempt?.id ?? null,
        result.attempt?.costUsd ?? null,
      ]),
    );
  }

  failJob(jobId: string, error: ErrorRecord): Promise<JobWithEvent | undefined> {
    return this.#jobWithEvent(execute(statements.failJob, [jobId, error, { error }]));
  }

  cancelJob(jobId: string, tenantId?: string): Promise<JobWithEvent | undefined> {
    return this.#jobWithEvent(execute(statements.cancelJob, [jobId, tenantId ?? null]));
  }

  deleteJob(jobId: string, tenantId: string): Promise<{ unreferencedKeys: string[] } | undefined> {
    return deleteJobRows(this.#db, jobId, tenantId);
  }

  async insertAsset(asset: NewAsset): Promise<AssetRecord> {
    const [row] = await this.#db.insert(assets).values(asset).returning();
    if (!row) throw new Error(`asset ${asset.id} was not inserted`);
    return toAssetRecord(row);
  }

  async getAsset(id: string, tenantId?: string): Promise<AssetRecord | undefined> {
    const condition = tenantId === undefined ? eq(assets.id, id) : and(eq(assets.id, id), eq(assets.tenantId, tenantId));
    const [row] = await this.#db.select().from(assets).where(condition);
    return row ? toAssetRecord(row) : undefined;
  }

  async listJobAssets(jobId: string): Promise<AssetRecord[]> {
    const rows = await this.#db.select().from(assets).where(eq(assets.jobId, jobId)).orderBy(asc(assets.createdAt), asc(assets.id));
    return rows.map(toAssetRecord);
  }

  /** Updates everything but `createdAt` when the id exists. */
  async upsertProviderKey(key: Omit<ProviderKeyRecord, 'createdAt'>): Promise<ProviderKeyRecord> {
    const [row] = await this.#db
      .insert(providerKeys)
      .values(key)
      .onConflictDoUpdate({
        target: providerKeys.id,
        set: { provider: key.provider, pool: key.pool, secret: key.secret, status: key.status, limits: key.limits },
      })
      .returning();
    if (!row) throw new Error(`provider key ${key.id} was not stored`);
    return toProviderKeyRecord(row);
  }

  async listProviderKeys(provider?: string): Promise<ProviderKeyRecord[]> {
    const rows = await this.#db
      .select()
      .from(providerKeys)
      .where(provider === undefined ? undefined : eq(providerKeys.provider, provider))
      .orderBy(asc(providerKeys.provider), asc(providerKeys.pool), asc(providerKeys.id));
    return rows.map(toProviderKeyRecord);
  }

  async countJobs(tenantId?: string): Promise<Record<JobStatus, number>> {
    const rows = await this.#db
      .select({ status: jobs.status, count: count() })
      .from(jobs)
      .where(tenantId === undefined ? undefined : eq(jobs.tenantId, tenantId))
      .groupBy(jobs.status);
    const counts = Object.fromEntries(jobStatuses.map((status) => [status, 0])) as Record<JobStatus, number>;
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }

  async countJobsByGroup(): Promise<JobGroupCount[]> {
    const provider = sql<string>`coalesce(${jobs.provider}, ${jobs.targets} -> ${jobs.targetIndex} ->> 'provider', 'unknown')`;
    const rows = await this.#db
      .select({ status: jobs.status, kind: jobs.kind, provider, count: count() })
      .from(jobs)
      .groupBy(jobs.status, jobs.kind, provider);
    return rows.map((row) => ({ ...row, count: Number(row.count) }));
  }

  close(): Promise<void> {
    return this.#close();
  }
}
