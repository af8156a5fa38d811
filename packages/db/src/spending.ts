// Money in the database: budget reservations held against per-period counters, settled when a
// job ends, and usage summed from attempts. Reserving is one statement that locks the tenant's
// counter rows, so any number of parallel submits (any number of processes) cannot pass a limit.
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { BudgetCounter, PeriodLimit, ReserveResult, SpendingStore, UsageFilter, UsageGroup, UsageRow } from './money-types.ts';
import { resultRows } from './rows.ts';
import type * as schema from './schema.ts';

type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

const groupExpressions: Record<UsageGroup, SQL> = {
  provider: sql`a.provider`,
  model: sql`a.provider || '/' || a.model`,
  day: sql`to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  key: sql`a.provider || '/' || coalesce(a.key_id, '-')`,
};

const number = (value: unknown): number => Number(value ?? 0);

export class DrizzleSpending implements SpendingStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async #rows(statement: SQL): Promise<Record<string, unknown>[]> {
    return resultRows(await this.#db.execute(statement));
  }

  async reserve(input: { tenantId: string; limits: PeriodLimit[]; jobs: { jobId: string; usd: number }[] }): Promise<ReserveResult> {
    const { tenantId, limits, jobs } = input;
    if (limits.length === 0 || jobs.length === 0) return { ok: true };
    const total = jobs.reduce((sum, job) => sum + job.usd, 0);
    const limitValues = sql.join(limits.map((limit) => sql`(${limit.period}::text, ${limit.limitUsd}::float8)`), sql`, `);
    const periods = sql.join(limits.map((limit) => sql`${limit.period}::text`), sql`, `);
    const jobValues = sql.join(jobs.map((job) => sql`(${job.jobId}::text, ${job.usd}::float8)`), sql`, `);
    // Rows first, in a statement of their own: the locking statement below must find them.
    await this.#db.execute(sql`
      INSERT INTO budget_counters (tenant_id, period)
      SELECT ${tenantId}, v.period FROM (VALUES ${limitValues}) AS v(period, limit_usd)
      ON CONFLICT DO NOTHING`);
    // FOR UPDATE waits for other reservations of this tenant and then reads their committed
    // sums; the UPDATE and INSERT run only when every period still fits. Rows lock in period
    // order, so two reservations never wait on each other.
    const rows = await this.#rows(sql`
      WITH limits(period, limit_usd) AS (VALUES ${limitValues}),
      locked AS (
        SELECT c.period, c.reserved_usd + c.spent_usd AS used_usd, l.limit_usd
        FROM budget_counters c JOIN limits l ON l.period = c.period
        WHERE c.tenant_id = ${tenantId}
        ORDER BY c.period
        FOR UPDATE OF c
      ),
      verdict AS (
        SELECT coalesce(bool_and(used_usd + ${total}::float8 <= limit_usd + 1e-9), true) AS fits FROM locked
      ),
      reserved AS (
        UPDATE budget_counters c SET reserved_usd = c.reserved_usd + ${total}::float8, updated_at = now()
        FROM verdict
        WHERE verdict.fits AND c.tenant_id = ${tenantId} AND c.period IN (${periods})
        RETURNING c.period
      ),
      held AS (
        INSERT INTO budget_reservations (job_id, tenant_id, periods, usd)
        SELECT j.job_id, ${tenantId}, ARRAY[${periods}], j.usd
        FROM (VALUES ${jobValues}) AS j(job_id, usd), verdict
        WHERE verdict.fits
        RETURNING job_id
      )
      SELECT locked.period, locked.used_usd, locked.limit_usd, verdict.fits, (SELECT count(*) FROM held) AS held
      FROM locked, verdict
      ORDER BY locked.period`);
    const first = rows[0];
    if (first === undefined || first.fits === true) return { ok: true };
    const over = rows.find((row) => number(row.used_usd) + total > number(row.limit_usd) + 1e-9) ?? first;
    return { ok: false, period: String(over.period), limitUsd: number(over.limit_usd), usedUsd: number(over.used_usd) };
  }

  async settle(jobId: string, actualUsd: number): Promise<boolean> {
    const rows = await this.#rows(sql`
      WITH settled AS (
        UPDATE budget_reservations SET settled_at = now(), actual_usd = ${actualUsd}::float8
        WHERE job_id = ${jobId} AND settled_at IS NULL
        RETURNING tenant_id, periods, usd
      ),
      moved AS (
        UPDATE budget_counters c
        SET reserved_usd = greatest(0, c.reserved_usd - s.usd), spent_usd = c.spent_usd + ${actualUsd}::float8, updated_at = now()
        FROM settled s
        WHERE c.tenant_id = s.tenant_id AND c.period = ANY(s.periods)
        RETURNING c.period
      )
      SELECT (SELECT count(*) FROM settled) AS settled, (SELECT count(*) FROM moved) AS moved`);
    return number(rows[0]?.settled) > 0;
  }

  async counters(tenantId: string, periods: readonly string[]): Promise<BudgetCounter[]> {
    if (periods.length === 0) return [];
    const list = sql.join(periods.map((period) => sql`${period}::text`), sql`, `);
    const rows = await this.#rows(sql`
      SELECT period, reserved_usd, spent_usd FROM budget_counters
      WHERE tenant_id = ${tenantId} AND period IN (${list}) ORDER BY period`);
    return rows.map((row) => ({ period: String(row.period), reservedUsd: number(row.reserved_usd), spentUsd: number(row.spent_usd) }));
  }

  async endedUnsettled(limit: number): Promise<{ jobId: string; actualUsd: number }[]> {
    const rows = await this.#rows(sql`
      SELECT r.job_id, j.actual_cost_usd FROM budget_reservations r
      LEFT JOIN jobs j ON j.id = r.job_id
      WHERE r.settled_at IS NULL AND (j.id IS NULL OR j.status IN ('succeeded', 'failed', 'canceled'))
      ORDER BY r.created_at LIMIT ${limit}`);
    return rows.map((row) => ({ jobId: String(row.job_id), actualUsd: number(row.actual_cost_usd) }));
  }

  async usage(filter: UsageFilter): Promise<UsageRow[]> {
    const group = groupExpressions[filter.groupBy];
    const conditions = [sql`j.tenant_id = ${filter.tenantId}`];
    if (filter.from) conditions.push(sql`a.started_at >= ${filter.from.toISOString()}::timestamptz`);
    if (filter.to) conditions.push(sql`a.started_at < ${filter.to.toISOString()}::timestamptz`);
    const rows = await this.#rows(sql`
      SELECT ${group} AS "group",
        count(DISTINCT a.job_id) AS jobs,
        count(*) AS attempts,
        count(*) FILTER (WHERE a.status = 'succeeded') AS succeeded,
        count(*) FILTER (WHERE a.status IN ('failed', 'ambiguous')) AS failed,
        coalesce(sum(a.cost_usd), 0) AS cost_usd
      FROM attempts a JOIN jobs j ON j.id = a.job_id
      WHERE ${sql.join(conditions, sql` AND `)}
      GROUP BY 1 ORDER BY 1`);
    return rows.map((row) => ({
      group: String(row.group),
      jobs: number(row.jobs),
      attempts: number(row.attempts),
      succeeded: number(row.succeeded),
      failed: number(row.failed),
      costUsd: Math.round(number(row.cost_usd) * 1e6) / 1e6,
    }));
  }
}
