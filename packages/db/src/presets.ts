// Tenant presets in the database (made through /v1/presets), and how the jobs that named a
// preset ended: counted from the jobs themselves, so the numbers cannot drift from the record.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { NewPreset, PresetOutcome, PresetRecord, PresetStore } from './money-types.ts';
import { resultRows } from './rows.ts';
import * as schema from './schema.ts';

type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

const { presets } = schema;

function toPresetRecord(row: typeof presets.$inferSelect): PresetRecord {
  return { ...row };
}

export class DrizzlePresets implements PresetStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async list(tenantId: string): Promise<PresetRecord[]> {
    const rows = await this.#db.select().from(presets).where(eq(presets.tenantId, tenantId)).orderBy(asc(presets.name));
    return rows.map(toPresetRecord);
  }

  async get(tenantId: string, name: string): Promise<PresetRecord | undefined> {
    const [row] = await this.#db.select().from(presets).where(and(eq(presets.tenantId, tenantId), eq(presets.name, name)));
    return row ? toPresetRecord(row) : undefined;
  }

  async put(preset: NewPreset): Promise<{ preset: PresetRecord; created: boolean }> {
    const [row] = await this.#db
      .insert(presets)
      .values(preset)
      .onConflictDoUpdate({
        target: [presets.tenantId, presets.name],
        set: { kind: preset.kind, model: preset.model, params: preset.params, description: preset.description, updatedAt: sql`now()` },
      })
      .returning();
    if (!row) throw new Error(`preset ${preset.name} was not stored`);
    // Both times come from the same now() on insert; a replacement moves only updated_at.
    return { preset: toPresetRecord(row), created: row.createdAt.getTime() === row.updatedAt.getTime() };
  }

  async delete(tenantId: string, name: string): Promise<boolean> {
    const rows = await this.#db
      .delete(presets)
      .where(and(eq(presets.tenantId, tenantId), eq(presets.name, name)))
      .returning({ name: presets.name });
    return rows.length > 0;
  }

  async outcomes(tenantId: string): Promise<PresetOutcome[]> {
    const rows = resultRows(
      await this.#db.execute(sql`
        SELECT request->>'preset' AS preset,
          count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
          count(*) FILTER (WHERE status = 'failed') AS failed,
          count(*) FILTER (WHERE status = 'canceled') AS canceled
        FROM jobs
        WHERE tenant_id = ${tenantId} AND request ? 'preset' AND status IN ('succeeded', 'failed', 'canceled')
        GROUP BY 1 ORDER BY 1`),
    );
    return rows.map((row) => ({
      preset: String(row.preset),
      succeeded: Number(row.succeeded),
      failed: Number(row.failed),
      canceled: Number(row.canceled),
    }));
  }
}
