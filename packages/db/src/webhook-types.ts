// The records of outbound webhooks: each tenant's endpoint and signing secret, and the delivery
// log (one message per terminal job state, with its attempts). Kept apart from repository.ts so
// the schema and the webhook repository can both import them without a cycle.

export const webhookDeliveryStatuses = [
  'pending', // waiting for its first attempt or a retry
  'delivered', // the receiver answered 2xx
  'failed', // retries ran out, the URL was refused, or there was nothing left to send
  'stopped', // the receiver answered 410 Gone
] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/** One attempt as the log keeps it (stored as JSON, so timestamps are ISO strings). */
export interface WebhookAttemptLogEntry {
  at: string;
  /** The receiver's HTTP status; null when no answer came (refused, timeout, network). */
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

export interface WebhookEndpointRecord {
  tenantId: string;
  url: string | null;
  /** The signing secret sealed with the 'webhook-secrets' key; never returned by the API. */
  secretSealed: string;
  secretCreatedAt: Date;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
  disabledAt: Date | null;
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookDeliveryRecord {
  id: string;
  tenantId: string;
  jobId: string;
  eventType: string;
  url: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  attemptLog: WebhookAttemptLogEntry[];
  payload: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  enqueuedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface WebhookDeliveryFilter {
  tenantId: string;
  jobId?: string;
  status?: WebhookDeliveryStatus;
  /** Only deliveries with an id lower than this: cursor pagination, newest first. */
  before?: string;
  limit: number;
}

export interface WebhookRepository {
  getEndpoint(tenantId: string): Promise<WebhookEndpointRecord | undefined>;
  /**
   * Sets the tenant's URL (and enables it again). `secretSealed` is stored only when the tenant
   * has no secret yet; `created` says whether it was.
   */
  setEndpointUrl(tenantId: string, url: string, secretSealed: string): Promise<{ endpoint: WebhookEndpointRecord; created: boolean }>;
  /** Removes the URL and keeps the secret (per-job URLs still need it); undefined without an endpoint. */
  clearEndpointUrl(tenantId: string): Promise<WebhookEndpointRecord | undefined>;
  /**
   * Makes `secretSealed` the signing secret. The one it replaces keeps signing beside it until
   * `previousExpiresAt` (or not at all when that is now or earlier).
   */
  rotateSecret(tenantId: string, secretSealed: string, previousExpiresAt: Date): Promise<WebhookEndpointRecord>;
  /** Disables the endpoint when it still points at `url` (a 410 Gone from there). */
  disableEndpoint(tenantId: string, url: string, reason: string): Promise<void>;

  /** With tenantId, only that tenant's delivery. */
  getDelivery(id: string, tenantId?: string): Promise<WebhookDeliveryRecord | undefined>;
  listDeliveries(filter: WebhookDeliveryFilter): Promise<WebhookDeliveryRecord[]>;
  /** Stores the body on a pending delivery that has none yet; returns the body now stored. */
  fixPayload(id: string, payload: string): Promise<string | undefined>;
  /**
   * Appends an attempt and moves a pending delivery to `status` (pending again with
   * `nextAttemptAt` for a retry). False, writing nothing, when it was no longer pending.
   */
  recordAttempt(
    id: string,
    attempt: WebhookAttemptLogEntry,
    outcome: { status: WebhookDeliveryStatus; nextAttemptAt: Date | null },
  ): Promise<boolean>;
  /** Ends a pending delivery without an attempt (nothing could be sent). */
  failDelivery(id: string, error: string): Promise<void>;
  /**
   * Pending deliveries a delivery queue should hold but may not: never enqueued, or overdue by
   * more than `overdueMs` (their queue entry was lost). Oldest first.
   */
  listUnqueued(limit: number, overdueMs: number): Promise<{ id: string; nextAttemptAt: Date | null }[]>;
  markEnqueued(ids: readonly string[]): Promise<void>;
}
