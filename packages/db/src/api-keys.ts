// Tenant API keys in the database: rows hold the key's hash and a short display prefix, never the
// key. The API makes and checks keys; these statements only store, find, list and revoke them.
import { and, asc, desc, eq, isNull } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { ApiKeyMatch, ApiKeyRecord, NewApiKey, TenantRecord } from './repository.ts';
import { toTenantRecord } from './rows.ts';
import * as schema from './schema.ts';

const { apiKeys, tenants } = schema;

type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

function toApiKeyRecord(row: typeof apiKeys.$inferSelect): ApiKeyRecord {
  return { id: row.id, tenantId: row.tenantId, prefix: row.prefix, createdAt: row.createdAt, revokedAt: row.revokedAt };
}

export async function insertApiKey(db: Database, key: NewApiKey): Promise<ApiKeyRecord> {
  const [row] = await db.insert(apiKeys).values(key).returning();
  if (!row) throw new Error(`api key ${key.id} was not stored`);
  return toApiKeyRecord(row);
}

export async function findApiKeyByHash(db: Database, hash: string): Promise<ApiKeyMatch | undefined> {
  const [row] = await db.select().from(apiKeys).innerJoin(tenants, eq(tenants.id, apiKeys.tenantId)).where(eq(apiKeys.hash, hash));
  return row ? { key: toApiKeyRecord(row.api_keys), tenant: toTenantRecord(row.tenants) } : undefined;
}

export async function listApiKeys(db: Database, filter: { tenantId?: string; active?: boolean } = {}): Promise<ApiKeyRecord[]> {
  const conditions = [
    filter.tenantId === undefined ? undefined : eq(apiKeys.tenantId, filter.tenantId),
    filter.active ? isNull(apiKeys.revokedAt) : undefined,
  ];
  const rows = await db
    .select()
    .from(apiKeys)
    .where(and(...conditions))
    .orderBy(desc(apiKeys.createdAt), asc(apiKeys.id));
  return rows.map(toApiKeyRecord);
}

/** Sets revoked_at once; a key revoked before keeps its first time. Undefined for an unknown id. */
export async function revokeApiKey(db: Database, id: string): Promise<ApiKeyRecord | undefined> {
  await db.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
  return row ? toApiKeyRecord(row) : undefined;
}

export async function getTenant(db: Database, id: string): Promise<TenantRecord | undefined> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
  return row ? toTenantRecord(row) : undefined;
}
