// The Repository over Drizzle, one class for both drivers (node-postgres and PGlite share
// PgDatabase). Job transitions are single statements from job-statements.ts; the rest is plain Drizzle.
import { randomBytes } from 'node:crypto';
import type { AttemptStatus, ErrorRecord, JobStatus } from '@mediagate/core';
import { jobStatuses } from '@mediagate/core';
import { and, asc, count, desc, eq, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as apiKeyStatements from './api-keys.ts';
import * as batch from './batch-statements.ts';
import { Batcher } from './batcher.ts';
import { deleteJobRows, jobListConditions } from './job-queries.ts';
import type { ClaimInput, JobWithEvent } from './job-answers.ts';
import { claimResult, completedJob, completionEvent, createdJob } from './job-answers.ts';
import * as statements from './job-statements.ts';
import type { BoundQuery, PreparedStatement } from './prepared.ts';
import { boundQuery, execute } from './prepared.ts';
import { DrizzleWebhookRepository } from './webhooks.ts';
import { DrizzlePresets } from './presets.ts';
import { DrizzleSpending } from './spending.ts';
import type {
  ApiKeyMatch,
  ApiKeyRecord,
  AssetRecord,
  AttemptRecord,
  ClaimResult,
  CreatedJob,
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
  attemptFromJson,
  eventFromJson,
  jobFromJson,
  resultRows,
  toAssetRecord,
  toAttemptRecord,
  toJobRecord,
  toProviderKeyRecord,
  toTenantRecord,
} from './rows.ts';
import * as schema from './schema.ts';

const { assets, attempts, instance, jobs, providerKeys, tenants } = schema;

/** Either driver's database: both are PgDatabase over this schema. */
export type MediagateDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

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

/** Runs a statement with bound parameters (node-postgres against PostgreSQL). */
export type BoundRunner = (query: BoundQuery) => Promise<{ rows: Record<string, unknown>[] }>;

export interface DrizzleRepositoryOptions {
  /** Statements of one kind running at once (1 for PGlite's single connection). */
  parallel?: number;
  /**
   * When set, the prepared statements go through it with bound parameters instead of as
   * EXECUTE with literals; the connections then need no PREPARE of their own.
   */
  bind?: BoundRunner;
}

type CompleteInput = { jobId: string; result: Parameters<Repository['completeJob']>[1] };

/**
 * Without `bind`, needs the statements of job-statements.ts and batch-statements.ts prepared on
 * every connection it uses (open.ts does that when a connection opens).
 */
export class DrizzleRepository implements Repository {
  readonly #db: MediagateDatabase;
  readonly #close: () => Promise<void>;
  readonly webhooks: DrizzleWebhookRepository;
  readonly spending: DrizzleSpending;
  readonly presets: DrizzlePresets;
  // Concurrent creates, claims and completions go out as one statement each (group commit).
  readonly #creates: Batcher<NewJob, CreatedJob | undefined>;
  readonly #claims: Batcher<ClaimInput, ClaimResult | undefined>;
  readonly #completions: Batcher<CompleteInput, JobWithEvent | undefined>;
  readonly #bind: BoundRunner | undefined;

  constructor(db: MediagateDatabase, close: () => Promise<void>, options: DrizzleRepositoryOptions = {}) {
    this.#db = db;
    this.#close = close;
    this.#bind = options.bind;
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

  /** Runs one of the prepared statements (job-statements.ts, batch-statements.ts). */
  async #run(statement: PreparedStatement, values: readonly unknown[]): Promise<Record<string, unknown>[]> {
    if (this.#bind) return (await this.#bind(boundQuery(statement, values))).rows;
    return resultRows(await this.#db.execute(execute(statement, values)));
  }

  async #jobWithEvent(statement: PreparedStatement, values: readonly unknown[]): Promise<JobWithEvent | undefined> {
    const [row] = await this.#run(statement, values);
    if (row?.job === undefined || row.job === null) return undefined;
    return { job: jobFromJson(row.job).job, event: eventFromJson(row.event) };
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

  async createJob(job: NewJob): Promise<CreatedJob> {
    const created = await this.#creates.submit(job);
    if (created) return created;
    return this.#existingByIdempotencyKey(job);
  }

  async #createJob(job: NewJob): Promise<CreatedJob | undefined> {
    const [row] = await this.#run(statements.createJob, [
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
      job.attempt?.id ?? null,
      job.attempt?.provider ?? null,
      job.attempt?.model ?? null,
      job.attempt?.keyId ?? null,
      job.asyncCommit === true,
    ]);
    return row === undefined ? undefined : createdJob(job, row.at as string);
  }

  async #createJobs(inputs: NewJob[]): Promise<(CreatedJob | undefined)[]> {
    const [row] = await this.#run(batch.createJobs, [
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
        attempt_id: job.attempt?.id ?? null,
        provider: job.attempt?.provider ?? null,
        model: job.attempt?.model ?? null,
        key_id: job.attempt?.keyId ?? null,
      })),
      inputs.every((job) => job.asyncCommit === true),
    ]);
    if (row === undefined) throw new Error('the create statement answered no row');
    const at = row.at as string;
    const inserted = new Set(row.inserted as number[]);
    return inputs.map((job, ord) => (inserted.has(ord) ? createdJob(job, at) : undefined));
  }

  async #existingByIdempotencyKey(job: NewJob): Promise<JobWithEvent> {
    if (job.idempotencyKey === undefined || job.idempotencyKey === null) {
      throw new Error(`job ${job.id} was not inserted`);
    }
    const existing = await this.#jobWithEvent(statements.getJobByIdempotencyKey, [job.tenantId, job.idempotencyKey]);
    if (!existing) throw new Error(`job with idempotency key ${job.idempotencyKey} was neither inserted nor found`);
    return existing;
  }

  async getJobByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<JobRecord | undefined> {
    return (await this.#jobWithEvent(statements.getJobByIdempotencyKey, [tenantId, idempotencyKey]))?.job;
  }

  async getJob(id: string, tenantId?: string): Promise<JobRecord | undefined> {
    const [row] = await (tenantId === undefined ? this.#run(statements.getJob, [id]) : this.#run(statements.getTenantJob, [id, tenantId]));
    return row ? jobFromJson(row.job).job : undefined;
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
    const [row] = await this.#run(statements.appendEvent, values);
    return row ? eventFromJson(row.event) : undefined;
  }

  async listEvents(jobId: string, afterSeq: number, tenantId?: string): Promise<JobEvent[]> {
    const rows = await this.#run(statements.listEvents, [jobId, afterSeq, tenantId ?? null]);
    return rows.map((row) => eventFromJson(row.event));
  }

  async startAttempt(input: {
    id: string;
    jobId: string;
    provider: string;
    model: string;
    keyId: string | null;
  }): Promise<{ attempt: AttemptRecord; event: JobEvent } | undefined> {
    const [row] = await this.#run(statements.startAttempt, [input.id, input.jobId, input.provider, input.model, input.keyId]);
    if (!row) return undefined;
    return { attempt: attemptFromJson(row.attempt), event: eventFromJson(row.event) };
  }

  claimJob(input: ClaimInput): Promise<ClaimResult | undefined> {
    return this.#claims.submit(input);
  }

  async #claimJobs(inputs: ClaimInput[]): Promise<(ClaimResult | undefined)[]> {
    // One job twice in a batch would be answered from a stale snapshot: let singles handle it.
    if (new Set(inputs.map((input) => input.jobId)).size !== inputs.length) throw new Error('duplicate job in claim batch');
    const rows = await this.#run(batch.claimJobs, [
      inputs.map((input, ord) => ({
        ord,
        attempt_id: input.attemptId,
        job_id: input.jobId,
        provider: input.provider,
        model: input.model,
        key_id: input.keyId,
        target_index: input.targetIndex,
      })),
    ]);
    return rows.map((row, ord) =>
      row.job === null || row.job === undefined ? undefined : claimResult(inputs[ord] as ClaimInput, row.job, row.claimed === true),
    );
  }

  async #claimJob(input: ClaimInput): Promise<ClaimResult | undefined> {
    const values = [input.attemptId, input.jobId, input.provider, input.model, input.keyId, input.targetIndex];
    const [row] = await this.#run(statements.claimJob, values);
    return row ? claimResult(input, row.job, row.claimed === true) : undefined;
  }

  async markAttemptPending(attemptId: string, operation: Json): Promise<JobEvent | undefined> {
    const [row] = await this.#run(statements.markAttemptPending, [attemptId, operation]);
    return row ? eventFromJson(row.event) : undefined;
  }

  async finishAttempt(
    attemptId: string,
    result: { status: Exclude<AttemptStatus, 'submitting' | 'pending'>; error?: ErrorRecord | null; costUsd?: number | null },
  ): Promise<void> {
    await this.#run(statements.finishAttempt, [attemptId, result.status, result.error ?? null, result.costUsd ?? null]);
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
    const events = inputs.map(({ result }) => completionEvent(result));
    const rows = await this.#run(batch.completeJobs, [
      inputs.map(({ jobId, result }, ord) => ({
        ord,
        job_id: jobId,
        provider: result.provider,
        model: result.model,
        actual_cost_usd: result.actualCostUsd,
        assets: assetRows(result.assets),
        event_data: events[ord],
        attempt_id: result.attempt?.id ?? null,
        attempt_cost_usd: result.attempt?.costUsd ?? null,
      })),
    ]);
    return rows.map((row, ord) =>
      row.job === null || row.job === undefined ? undefined : completedJob(row.job, events[ord] as Record<string, Json>),
    );
  }

  async #completeJob(jobId: string, result: CompleteInput['result']): Promise<JobWithEvent | undefined> {
    const event = completionEvent(result);
    const [row] = await this.#run(statements.completeJob, [
      jobId,
      result.provider,
      result.model,
      result.actualCostUsd,
      assetRows(result.assets),
      event,
      result.attempt?.id ?? null,
      result.attempt?.costUsd ?? null,
    ]);
    return row ? completedJob(row.job, event) : undefined;
  }

  failJob(jobId: string, error: ErrorRecord): Promise<JobWithEvent | undefined> {
    return this.#jobWithEvent(statements.failJob, [jobId, error, { error }]);
  }

  cancelJob(jobId: string, tenantId?: string): Promise<JobWithEvent | undefined> {
    return this.#jobWithEvent(statements.cancelJob, [jobId, tenantId ?? null]);
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
