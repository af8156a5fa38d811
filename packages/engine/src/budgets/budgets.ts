// Tenant budgets from mediagate.config.yaml (`budgets.<tenant id>`, else `budgets.default`):
// a job's estimate is reserved against the UTC day's and month's limits when it is submitted
// (atomically, in the database) and settled with its actual cost when it ends.
import { InputError, formatTarget, type Target } from '@mediagate/core';
import type { BudgetCounter, PeriodLimit } from '@mediagate/db';
import type { BudgetConfig } from '../config/schema.ts';
import type { Runtime } from '../runtime.ts';

export type BudgetName = 'daily' | 'monthly';

export interface BudgetPeriod extends PeriodLimit {
  name: BudgetName;
}

/** The budget that applies to a tenant, or undefined when the config sets none. */
export function budgetFor(runtime: Runtime, tenantId: string): BudgetConfig | undefined {
  const budgets = runtime.config.budgets;
  return budgets[tenantId] ?? budgets.default;
}

/** The tenant's limited periods at `now`: `day:YYYY-MM-DD` and `month:YYYY-MM`, UTC. */
export function budgetPeriods(budget: BudgetConfig | undefined, now: Date): BudgetPeriod[] {
  if (budget === undefined) return [];
  const day = now.toISOString().slice(0, 10);
  const periods: BudgetPeriod[] = [];
  if (budget?.daily_usd !== undefined) periods.push({ name: 'daily', period: `day:${day}`, limitUsd: budget.daily_usd });
  if (budget?.monthly_usd !== undefined) periods.push({ name: 'monthly', period: `month:${day.slice(0, 7)}`, limitUsd: budget.monthly_usd });
  return periods;
}

/** An amount as the API answers it: to the millionth of a dollar, without float noise like 0.030000000000000027. */
function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** Dollars with cents, and sub-cent digits (up to four) only where the amount has them: $0.015, $2.50. */
export function formatUsd(usd: number): string {
  const rounded = Math.round(usd * 10_000) / 10_000;
  const cents = rounded.toFixed(2);
  return `$${Number(cents) === rounded ? cents : rounded.toFixed(4).replace(/0+$/, '')}`;
}

/** The figures of a refusal, as the API's 402 body carries them (`error.budget`). */
export interface BudgetRefusal {
  /** The period that has too little left. */
  period: BudgetName;
  limit_usd: number;
  remaining_usd: number;
  estimate_usd: number;
}

/** HTTP 402, CLI exit 2: the job would take the tenant past a budget. */
export class BudgetExceededError extends InputError {
  readonly remainingUsd: number;
  readonly estimateUsd: number;
  readonly refusal: BudgetRefusal;

  constructor(input: { tenantId: string; period: BudgetPeriod; usedUsd: number; estimateUsd: number }) {
    const { tenantId, period, usedUsd, estimateUsd } = input;
    const remaining = Math.max(0, period.limitUsd - usedUsd);
    const span = period.name === 'daily' ? `UTC day ${period.period.slice(4)}` : `UTC month ${period.period.slice(6)}`;
    super(
      `budget exceeded: the ${period.name} budget of ${formatUsd(period.limitUsd)} for tenant ${tenantId} (${span}) has ` +
        `${formatUsd(remaining)} remaining, and this request is estimated at ${formatUsd(estimateUsd)}`,
      { code: 'budget_exceeded', status: 402 },
    );
    this.remainingUsd = remaining;
    this.estimateUsd = estimateUsd;
    this.refusal = { period: period.name, limit_usd: roundUsd(period.limitUsd), remaining_usd: roundUsd(remaining), estimate_usd: roundUsd(estimateUsd) };
  }
}

/**
 * A budget cannot hold what has no price (a Replicate model outside the price list): under a
 * budget such a job is refused (402, code price_unknown) rather than counted as $0. A tenant
 * without a budget runs it, and its estimated and actual cost stay unknown (null).
 */
export function checkPricesKnown(runtime: Runtime, tenantId: string, priced: readonly { target: Target; usd: number | null }[], now = new Date()): void {
  const unpriced = priced.find((entry) => entry.usd === null);
  if (unpriced === undefined) return;
  const period = budgetPeriods(budgetFor(runtime, tenantId), now)[0];
  if (period === undefined) return;
  throw new InputError(
    `price unknown: ${formatTarget(unpriced.target)} has no price in Mediagate's pricing data, so the ${period.name} budget of ${formatUsd(period.limitUsd)} for tenant ${tenantId} cannot hold it; use a priced model (GET /v1/providers lists prices) or a tenant without a budget`,
    { code: 'price_unknown', status: 402, field: 'model' },
  );
}

/**
 * Holds each job's estimate against the tenant's budget, all or nothing; throws
 * BudgetExceededError (nothing held) when any period would go over. No budget: nothing to do.
 */
export async function reserveBudget(
  runtime: Runtime,
  tenantId: string,
  jobs: { jobId: string; usd: number }[],
  now = new Date(),
): Promise<boolean> {
  const periods = budgetPeriods(budgetFor(runtime, tenantId), now);
  if (periods.length === 0) return false;
  const result = await runtime.repo.spending.reserve({ tenantId, limits: periods, jobs });
  if (result.ok) return true;
  const period = periods.find((candidate) => candidate.period === result.period) ?? (periods[0] as BudgetPeriod);
  const estimateUsd = jobs.reduce((sum, job) => sum + job.usd, 0);
  throw new BudgetExceededError({ tenantId, period: { ...period, limitUsd: result.limitUsd }, usedUsd: result.usedUsd, estimateUsd });
}

/**
 * Settles a job that has ended: its reservation leaves the counters and its actual cost (0 for
 * a failed or canceled job with none) enters them. Safe to call more than once; never throws.
 */
export async function settleJob(runtime: Runtime, jobId: string, tenantId: string): Promise<void> {
  if (budgetPeriods(budgetFor(runtime, tenantId), new Date()).length === 0) return;
  try {
    const job = await runtime.repo.getJob(jobId);
    await runtime.repo.spending.settle(jobId, job?.actualCostUsd ?? 0);
  } catch (error) {
    // The sweep settles what is left open (settleEnded).
    runtime.logger.warn({ jobId, err: error instanceof Error ? error.message : String(error) }, 'budget not settled');
  }
}

/** Settles reservations of jobs that ended without being settled (a crash in between). */
export async function settleEnded(runtime: Runtime, limit = 500): Promise<number> {
  const open = await runtime.repo.spending.endedUnsettled(limit);
  let settled = 0;
  for (const entry of open) if (await runtime.repo.spending.settle(entry.jobId, entry.actualUsd)) settled += 1;
  return settled;
}

export interface BudgetStatus {
  name: BudgetName;
  period: string;
  limit_usd: number;
  reserved_usd: number;
  spent_usd: number;
  remaining_usd: number;
}

/** The tenant's budget periods now, with what is held and spent in each. */
export async function budgetStatus(runtime: Runtime, tenantId: string, now = new Date()): Promise<BudgetStatus[]> {
  const periods = budgetPeriods(budgetFor(runtime, tenantId), now);
  const counters = await runtime.repo.spending.counters(
    tenantId,
    periods.map((period) => period.period),
  );
  const byPeriod = new Map<string, BudgetCounter>(counters.map((counter) => [counter.period, counter]));
  return periods.map((period) => {
    const counter = byPeriod.get(period.period);
    const reserved = counter?.reservedUsd ?? 0;
    const spent = counter?.spentUsd ?? 0;
    return {
      name: period.name,
      period: period.period,
      limit_usd: period.limitUsd,
      reserved_usd: roundUsd(reserved),
      spent_usd: roundUsd(spent),
      remaining_usd: roundUsd(Math.max(0, period.limitUsd - reserved - spent)),
    };
  });
}
