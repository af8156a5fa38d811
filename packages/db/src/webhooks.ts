// Webhook endpoints and the delivery log over Drizzle. Deliveries are created by the trigger in
// migration 0001_webhooks (with the job's terminal write); these statements only read them and
// record what each attempt did.
import { and, asc, desc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.ts';
import type {
  WebhookAttemptLogEntry,
  WebhookDeliveryFilter,
  WebhookDeliveryRecord,
  WebhookDeliveryStatus,
  WebhookEndpointRecord,
  WebhookRepository,
} from './webhook-types.ts';

export * from './webhook-types.ts';

const { webhookDeliveries, webhookEndpoints } = schema;

type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

function toEndpoint(row: typeof webhookEndpoints.$inferSelect): WebhookEndpointRecord {
  return { ...row };
}

function toDelivery(row: typeof webhookDeliveries.$inferSelect): WebhookDeliveryRecord {
  return { ...row, attemptLog: row.attemptLog ?? [] };
}

export class DrizzleWebhookRepository implements WebhookRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async getEndpoint(tenantId: string): Promise<WebhookEndpointRecord | undefined> {
    const [row] = await this.#db.select().from(webhookEndpoints).where(eq(webhookEndpoints.tenantId, tenantId));
    return row ? toEndpoint(row) : undefined;
  }

  async setEndpointUrl(tenantId: string, url: string, secretSealed: string): Promise<{ endpoint: WebhookEndpointRecord; created: boolean }> {
    const [inserted] = await this.#db
      .insert(webhookEndpoints)
      .values({ tenantId, url, secretSealed })
      .onConflictDoNothing()
      .returning();
    if (inserted) return { endpoint: toEndpoint(inserted), created: true };
    const [updated] = await this.#db
      .update(webhookEndpoints)
      .set({ url, disabledAt: null, disabledReason: null, updatedAt: new Date() })
      .where(eq(webhookEndpoints.tenantId, tenantId))
      .returning();
    if (!updated) throw new Error(`webhook endpoint of ${tenantId} vanished while being set`);
    return { endpoint: toEndpoint(updated), created: false };
  }

  async clearEndpointUrl(tenantId: string): Promise<WebhookEndpointRecord | undefined> {
    const [row] = await this.#db
      .update(webhookEndpoints)
      .set({ url: null, disabledAt: null, disabledReason: null, updatedAt: new Date() })
      .where(eq(webhookEndpoints.tenantId, tenantId))
      .returning();
    return row ? toEndpoint(row) : undefined;
  }

  async rotateSecret(tenantId: string, secretSealed: string, previousExpiresAt: Date): Promise<WebhookEndpointRecord> {
    const now = new Date();
    const keepPrevious = previousExpiresAt.getTime() > now.getTime();
    const [row] = await this.#db
      .insert(webhookEndpoints)
      .values({ tenantId, url: null, secretSealed })
      .onConflictDoUpdate({
        target: webhookEndpoints.tenantId,
        set: {
          // In an upsert's SET, the bare column is the row as it was: the secret being replaced.
          previousSecretSealed: keepPrevious ? sql`${webhookEndpoints.secretSealed}` : null,
          previousSecretExpiresAt: keepPrevious ? previousExpiresAt : null,
          secretSealed,
          secretCreatedAt: now,
          updatedAt: now,
        },
      })
      .returning();
    if (!row) throw new Error(`webhook secret of ${tenantId} was not stored`);
    return toEndpoint(row);
  }

  async disableEndpoint(tenantId: string, url: string, reason: string): Promise<void> {
    await this.#db
      .update(webhookEndpoints)
      .set({ disabledAt: new Date(), disabledReason: reason, updatedAt: new Date() })
      .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.url, url), isNull(webhookEndpoints.disabledAt)));
  }

  async getDelivery(id: string, tenantId?: string): Promise<WebhookDeliveryRecord | undefined> {
    const [row] = await this.#db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, id), tenantId === undefined ? undefined : eq(webhookDeliveries.tenantId, tenantId)));
    return row ? toDelivery(row) : undefined;
  }

  async listDeliveries(filter: WebhookDeliveryFilter): Promise<WebhookDeliveryRecord[]> {
    const rows = await this.#db
      .select()
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.tenantId, filter.tenantId),
          filter.jobId === undefined ? undefined : eq(webhookDeliveries.jobId, filter.jobId),
          filter.status === undefined ? undefined : eq(webhookDeliveries.status, filter.status),
          filter.before === undefined ? undefined : lt(webhookDeliveries.id, filter.before),
        ),
      )
      .orderBy(desc(webhookDeliveries.id))
      .limit(filter.limit);
    return rows.map(toDelivery);
  }

  async fixPayload(id: string, payload: string): Promise<string | undefined> {
    await this.#db
      .update(webhookDeliveries)
      .set({ payload })
      .where(and(eq(webhookDeliveries.id, id), isNull(webhookDeliveries.payload)));
    const [row] = await this.#db.select({ payload: webhookDeliveries.payload }).from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
    return row?.payload ?? undefined;
  }

  async recordAttempt(
    id: string,
    attempt: WebhookAttemptLogEntry,
    outcome: { status: WebhookDeliveryStatus; nextAttemptAt: Date | null },
  ): Promise<boolean> {
    const now = new Date();
    const rows = await this.#db
      .update(webhookDeliveries)
      .set({
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        attemptLog: sql`${webhookDeliveries.attemptLog} || ${JSON.stringify([attempt])}::jsonb`,
        status: outcome.status,
        lastStatusCode: attempt.statusCode,
        lastError: attempt.error,
        nextAttemptAt: outcome.nextAttemptAt,
        updatedAt: now,
        finishedAt: outcome.status === 'pending' ? null : now,
      })
      .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'pending')))
      .returning({ id: webhookDeliveries.id });
    return rows.length > 0;
  }

  async failDelivery(id: string, error: string): Promise<void> {
    const now = new Date();
    await this.#db
      .update(webhookDeliveries)
      .set({ status: 'failed', lastError: error, nextAttemptAt: null, updatedAt: now, finishedAt: now })
      .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'pending')));
  }

  async listUnqueued(limit: number, overdueMs: number): Promise<{ id: string; nextAttemptAt: Date | null }[]> {
    const overdue = new Date(Date.now() - overdueMs);
    return this.#db
      .select({ id: webhookDeliveries.id, nextAttemptAt: webhookDeliveries.nextAttemptAt })
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.status, 'pending'),
          or(
            isNull(webhookDeliveries.enqueuedAt),
            and(lte(webhookDeliveries.nextAttemptAt, overdue), lte(webhookDeliveries.enqueuedAt, overdue)),
          ),
        ),
      )
      .orderBy(asc(webhookDeliveries.id))
      .limit(limit);
  }

  async markEnqueued(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#db
      .update(webhookDeliveries)
      .set({ enqueuedAt: new Date() })
      .where(inArray(webhookDeliveries.id, [...ids]));
  }
}
