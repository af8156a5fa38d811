// The persistence interface the engine, API and CLI use. Two backends implement it with one
// Drizzle schema: embedded PGlite (all-in-one) and PostgreSQL (fleet). One conformance suite
// runs against both.
import type { AttemptStatus, ErrorRecord, GenerationRequest, JobKind, JobStatus, Target } from '@mediagate/core';
import type { WebhookRepository } from './webhook-types.ts';
import type { PresetStore, SpendingStore } from './money-types.ts';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface TenantRecord {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  /** First characters of the key, shown so a user can tell keys apart. */
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface NewApiKey {
  id: string;
  tenantId: string;
  prefix: string;
  /** Hash of the full key (the API uses SHA-256 hex). */
  hash: string;
}

/** A key found by its hash, with the tenant it belongs to. */
export interface ApiKeyMatch {
  key: ApiKeyRecord;
  tenant: TenantRecord;
}

export interface JobRecord {
  id: string;
  tenantId: string;
  kind: JobKind;
  status: JobStatus;
  /** The validated request as the caller sent it. */
  request: GenerationRequest;
  /** Where the job may go, in order; resolved from the route at enqueue. */
  targets: Target[];
  /** Index into `targets` of the target currently being tried. */
  targetIndex: number;
  /** Provider and model that served the job (set on success). */
  provider: string | null;
  model: string | null;
  /** 0–100. */
  progress: number;
  /** `seq` of the newest event. */
  lastSeq: number;
  priority: number;
  idempotencyKey: string | null;
  batchId: string | null;
  metadata: Record<string, string>;
  error: ErrorRecord | null;
  estimatedCostUsd: number | null;
  actualCostUsd: number | null;
  /** Attempts that count towards the retry limit (rate-limited ones do not). */
  attemptCount: number;
  outputAssetIds: string[];
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface NewJob {
  id: string;
  tenantId: string;
  kind: JobKind;
  request: GenerationRequest;
  targets: Target[];
  priority?: number;
  idempotencyKey?: string | null;
  batchId?: string | null;
  metadata?: Record<string, string>;
  estimatedCostUsd?: number | null;
  /**
   * Starts the job's first attempt in the same statement: the job is inserted running, with the
   * attempt (status submitting) and its `attempt` event (seq 2) after the `queued` one, exactly
   * as a claim right after the insert would leave them. For a process that runs the job itself.
   */
  attempt?: NewJobAttempt;
  /**
   * Commit the insert without waiting for it to reach the disk (PostgreSQL's asynchronous
   * commit), for a job whose caller hears of it only from its end (the OpenAI synchronous
   * routes): the end's own commit waits for the disk, and that flushes this insert with it, as
   * PostgreSQL's WAL writer does within a second anyway. Until then only a crash of the database
   * itself can lose the job, and its caller, still waiting, gets an error. Other sessions see
   * the job at once either way.
   */
  asyncCommit?: boolean;
}

/** What createJob answers; `started` when the job was created with its first attempt (NewJob.attempt). */
export interface CreatedJob {
  job: JobRecord;
  event: JobEvent;
  started?: { attempt: AttemptRecord; event: JobEvent };
}

/** The first attempt a job is created with (NewJob.attempt), on the job's first target. */
export interface NewJobAttempt {
  id: string;
  provider: string;
  model: string;
  keyId: string | null;
}

export interface AttemptRecord {
  id: string;
  jobId: string;
  /** 1-based, in order of start. */
  number: number;
  provider: string;
  model: string;
  /** Id of the provider key used (never the secret); null for keyless providers. */
  keyId: string | null;
  status: AttemptStatus;
  /** The provider's opaque handle for async work, stored before any waiting. */
  operation: Json | null;
  error: ErrorRecord | null;
  costUsd: number | null;
  startedAt: Date;
  submittedAt: Date | null;
  finishedAt: Date | null;
}

export const jobEventTypes = [
  'queued',
  'attempt', // an attempt started (provider, model, key id)
  'submitted', // an async provider accepted the work
  'progress',
  'retrying', // an attempt failed and will be retried after a delay
  'fallback', // moving to the next target
  'rate_limited',
  'key_error', // a provider refused a key (401/403): it is out of use for every worker
  'cancel_requested',
  'succeeded',
  'failed',
  'canceled',
] as const;
export type JobEventType = (typeof jobEventTypes)[number];

export interface JobEvent {
  jobId: string;
  tenantId: string;
  /** 1, 2, 3… per job, with no gaps. */
  seq: number;
  type: JobEventType;
  data: Record<string, Json>;
  createdAt: Date;
}

export type AssetKind = 'image' | 'video' | 'audio';

export interface AssetRecord {
  id: string;
  tenantId: string;
  /** The job that produced it; null for uploads. */
  jobId: string | null;
  sha256: string;
  size: number;
  mime: string;
  kind: AssetKind;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  /** Where the bytes live in the asset store. */
  storageKey: string;
  createdAt: Date;
}

export type NewAsset = Omit<AssetRecord, 'createdAt'>;

export interface ProviderKeyRecord {
  id: string;
  provider: string;
  pool: string;
  /** The secret as stored (encrypted at rest once a secret is configured). */
  secret: string;
  status: 'active' | 'inactive' | 'rate_limited' | 'error';
  limits: Record<string, number>;
  createdAt: Date;
}

export interface JobListFilter {
  tenantId: string;
  status?: JobStatus;
  kind?: JobKind;
  /** The provider that served the job, else the one of its current target. */
  provider?: string;
  batchId?: string;
  /** Only jobs created strictly after / before these instants. */
  createdAfter?: Date;
  createdBefore?: Date;
  /** Only jobs with id lower than this (ids sort by creation time): cursor pagination. */
  before?: string;
  limit: number;
}

/** Fields a state-changing event may update on the job in the same transaction. */
export interface JobPatch {
  status?: JobStatus;
  progress?: number;
  targetIndex?: number;
  attemptCount?: number;
  error?: ErrorRecord | null;
}

export interface JobGroupCount {
  status: JobStatus;
  kind: JobKind;
  provider: string;
  count: number;
}

export interface ClaimResult {
  job: JobRecord;
  /** Present when the claim started an attempt. */
  attempt?: AttemptRecord;
  event?: JobEvent;
}

export interface Repository {
  /**
   * This database's id, made once on first use and the same for every process after; it keeps
   * installations that share a Redis server out of each other's queues.
   */
  instanceId(): Promise<string>;

  /** Creates the tenant if missing; returns it either way. */
  ensureTenant(id: string, name: string): Promise<TenantRecord>;
  getTenant(id: string): Promise<TenantRecord | undefined>;

  /** Stores a tenant API key by its hash (api-keys.ts); the key itself is never stored. */
  createApiKey(key: NewApiKey): Promise<ApiKeyRecord>;
  /** The key with this hash and its tenant, revoked or not. */
  findApiKeyByHash(hash: string): Promise<ApiKeyMatch | undefined>;
  /** Newest first; `active` leaves out revoked keys. */
  listApiKeys(filter?: { tenantId?: string; active?: boolean }): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked (the first revocation time stays); undefined for an unknown id. */
  revokeApiKey(id: string): Promise<ApiKeyRecord | undefined>;

  /**
   * Inserts the job (status queued) and its first event (seq 1, type queued) atomically; with
   * `job.attempt`, also its first attempt (the job running), answered as `started`.
   * When the tenant already has a job with the same `idempotencyKey`, nothing is written and
   * that job and its first event are returned: check `job.id` against the id you passed.
   */
  createJob(job: NewJob): Promise<CreatedJob>;
  /** With tenantId, only that tenant's job. */
  getJob(id: string, tenantId?: string): Promise<JobRecord | undefined>;
  /** The tenant's job created under `idempotencyKey`, if any. */
  getJobByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<JobRecord | undefined>;
  listJobs(filter: JobListFilter): Promise<JobRecord[]>;

  /**
   * Appends an event (seq = lastSeq + 1) and applies `patch` to the job in one transaction.
   * Returns undefined, writing nothing, when the job is already terminal.
   */
  appendEvent(jobId: string, type: JobEventType, data: Record<string, Json>, patch?: JobPatch): Promise<JobEvent | undefined>;
  /** Events with seq > afterSeq, in order. With tenantId, empty for another tenant's job. */
  listEvents(jobId: string, afterSeq: number, tenantId?: string): Promise<JobEvent[]>;

  /**
   * Records a new attempt (status submitting), sets the job running (startedAt on first) and
   * appends an `attempt` event, atomically. Undefined when the job is terminal.
   */
  startAttempt(input: {
    id: string;
    jobId: string;
    provider: string;
    model: string;
    keyId: string | null;
  }): Promise<{ attempt: AttemptRecord; event: JobEvent } | undefined>;
  /**
   * The worker's fast path: when the job is queued on `targetIndex`, starts its attempt exactly
   * as startAttempt does and returns job, attempt and event; otherwise returns the job as it is
   * (running, terminal, or on another target) without writing. Undefined when there is no job.
   */
  claimJob(input: {
    attemptId: string;
    jobId: string;
    targetIndex: number;
    provider: string;
    model: string;
    keyId: string | null;
  }): Promise<ClaimResult | undefined>;
  /**
   * Stores the async handle (status pending, submittedAt) and appends a `submitted` event.
   * Undefined when the attempt is unknown or already finished, or the job is terminal; in the
   * last case the handle is still stored, so the provider's work can be found and cancelled.
   */
  markAttemptPending(attemptId: string, operation: Json): Promise<JobEvent | undefined>;
  finishAttempt(
    attemptId: string,
    result: { status: Exclude<AttemptStatus, 'submitting' | 'pending'>; error?: ErrorRecord | null; costUsd?: number | null },
  ): Promise<void>;
  listAttempts(jobId: string): Promise<AttemptRecord[]>;

  /**
   * Terminal success: inserts the output assets, sets status succeeded, progress 100,
   * provider/model, actual cost, finishedAt, and appends `succeeded`, atomically.
   * Undefined (and nothing written) when the job is already terminal. Assets are stored under
   * the job's tenant and id whatever `NewAsset` says; an asset id that already exists is kept.
   */
  completeJob(
    jobId: string,
    result: {
      provider: string;
      model: string;
      assets: NewAsset[];
      actualCostUsd: number | null;
      /** The attempt that produced the outputs, marked succeeded in the same statement. */
      attempt?: { id: string; costUsd: number | null };
    },
  ): Promise<{ job: JobRecord; event: JobEvent } | undefined>;
  /** Terminal failure; undefined when already terminal. */
  failJob(jobId: string, error: ErrorRecord): Promise<{ job: JobRecord; event: JobEvent } | undefined>;
  /** Terminal cancel (tenant-scoped when tenantId is given); undefined when already terminal or not found. */
  cancelJob(jobId: string, tenantId?: string): Promise<{ job: JobRecord; event: JobEvent } | undefined>;
  /**
   * Deletes the tenant's job with its events, attempts and output assets in one transaction,
   * whatever its status (cancel a live job first). Returns the storage keys of the deleted
   * assets that no remaining asset row (of any tenant) references, for the caller to remove
   * from the store; undefined when the tenant has no such job.
   */
  deleteJob(jobId: string, tenantId: string): Promise<{ unreferencedKeys: string[] } | undefined>;

  insertAsset(asset: NewAsset): Promise<AssetRecord>;
  getAsset(id: string, tenantId?: string): Promise<AssetRecord | undefined>;
  listJobAssets(jobId: string): Promise<AssetRecord[]>;

  upsertProviderKey(key: Omit<ProviderKeyRecord, 'createdAt'>): Promise<ProviderKeyRecord>;
  listProviderKeys(provider?: string): Promise<ProviderKeyRecord[]>;

  /** Job counts by status for a tenant (or all tenants). */
  countJobs(tenantId?: string): Promise<Record<JobStatus, number>>;
  /**
   * Job counts of every tenant by status, kind and provider (the one that served the job, else
   * its current target's): what /metrics reports. Only combinations that have jobs are listed.
   */
  countJobsByGroup(): Promise<JobGroupCount[]>;

  /** Webhook endpoints, signing secrets and the delivery log (webhooks.ts). */
  readonly webhooks: WebhookRepository;
  /** Budget reservations and settlements, and usage from attempts (spending.ts). */
  readonly spending: SpendingStore;
  /** Tenant presets and how their jobs ended (presets.ts). */
  readonly presets: PresetStore;

  close(): Promise<void>;
}
