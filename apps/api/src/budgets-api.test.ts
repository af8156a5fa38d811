// Budgets and usage through the API: 100 parallel submits against a $0.50 day never reserve
// more than $0.50, the refused ones answer 402 budget_exceeded naming the budget, what is left and
// the estimate; jobs settle with their actual cost when they end (released on failure and
// cancel); GET /v1/usage groups the tenant's attempts by provider, model, day and key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { newId } from '@mediagate/core';
import { budgetStatus, settleEnded } from '@mediagate/engine';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import type { JobView } from './index.ts';
import { errorBodySchema } from './openapi/view-schemas.ts';
import { buildTestApi, expectApiError, injectAs, createTestKey, type Inject, type TestApi } from './test-support.ts';

let harness: Harness;
let api: TestApi;
const burstTenant = 'ten_burst';
const ledgerTenant = 'ten_ledger';
const replayTenant = 'ten_replay';
let burst: Inject;
let ledger: Inject;

beforeAll(async () => {
  harness = await createHarness({
    config: {
      budgets: {
        [burstTenant]: { daily_usd: 0.5 },
        [ledgerTenant]: { daily_usd: 0.05, monthly_usd: 10 },
        [replayTenant]: { daily_usd: 0.015 },
        default: { monthly_usd: 1000 },
      },
    },
  });
  api = await buildTestApi(harness.runtime);
  burst = injectAs(api.app, await createTestKey(harness.runtime, burstTenant));
  ledger = injectAs(api.app, await createTestKey(harness.runtime, ledgerTenant));
});
afterAll(async () => {
  await api?.app.close();
  await harness?.close();
});

/** The tenant's daily budget once nothing is reserved any more: jobs settle just after they end. */
async function settledDay(tenantId: string) {
  for (let tries = 0; ; tries++) {
    const [daily] = await budgetStatus(harness.runtime, tenantId);
    if (daily?.reserved_usd === 0 || tries > 200) return daily;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const post = (inject: Inject, url: string, payload: unknown) => inject({ method: 'POST', url, payload: payload as InjectOptions['payload'] });
const image = (extra: Record<string, unknown> = {}) => ({ kind: 'image', prompt: `budget ${newId('job')}`, model: 'simulated/image', params: { width: 64, height: 64 }, ...extra });

describe('budget reservations', () => {
  it('100 parallel submits never overspend: exactly the affordable 50 are accepted', async () => {
    const responses = await Promise.all(Array.from({ length: 100 }, () => post(burst, '/v1/jobs', image())));
    const accepted = responses.filter((response) => response.statusCode === 201);
    const refused = responses.filter((response) => response.statusCode === 402);
    expect(accepted.length + refused.length).toBe(100);
    // $0.01 each against $0.50: the simulated provider reports no cost, so actual = estimate
    // and jobs settling during the burst free nothing.
    expect(accepted).toHaveLength(50);
    for (const response of refused) expect(response.json<{ error: { code: string } }>().error.code).toBe('budget_exceeded');

    await Promise.all(accepted.map((response) => harness.waitFor(response.json<JobView>().id)));
    const daily = await settledDay(burstTenant);
    expect(daily?.reserved_usd).toBe(0);
    expect(daily?.spent_usd).toBeCloseTo(0.5, 9);
    expect(daily?.remaining_usd).toBeCloseTo(0, 9);
  });

  it('over budget is a 402 naming the budget, the remaining amount and the estimate; nothing is written', async () => {
    const first = await post(ledger, '/v1/jobs', image());
    expect(first.statusCode, first.body).toBe(201);
    // 4 images at $0.01 would take the day to $0.05 exactly: fits. 5 more do not.
    const four = await post(ledger, '/v1/jobs', image({ model: 'simulated/image', prompt: 'four', params: { width: 64, height: 64 } }));
    expect(four.statusCode).toBe(201);
    await harness.waitFor(first.json<JobView>().id);
    await harness.waitFor(four.json<JobView>().id);
    await settledDay(ledgerTenant);

    const jobsBefore = (await ledger({ method: 'GET', url: '/v1/jobs?limit=100' })).json<{ data: unknown[] }>().data.length;
    const video = { kind: 'video', prompt: 'too dear', model: 'simulated/video', params: { duration: 2, width: 64, height: 64 } };
    const error = expectApiError(await post(ledger, '/v1/jobs', video), 402);
    expect(error.code).toBe('budget_exceeded');
    const day = new Date().toISOString().slice(0, 10);
    expect(error.message).toBe(
      `budget exceeded: the daily budget of $0.05 for tenant ${ledgerTenant} (UTC day ${day}) has $0.03 remaining, and this request is estimated at $0.10`,
    );
    // The same figures, for clients that should not parse them out of the message.
    expect(error.budget).toEqual({ period: 'daily', limit_usd: 0.05, remaining_usd: 0.03, estimate_usd: 0.1 });
    expect(errorBodySchema.safeParse({ error }).success).toBe(true);
    expect((await ledger({ method: 'GET', url: '/v1/jobs?limit=100' })).json<{ data: unknown[] }>().data.length).toBe(jobsBefore);

    // The estimate says the same before anything is sent.
    const estimate = (await post(ledger, '/v1/estimate', video)).json<{ within_budget: boolean; budgets: { name: string; remaining_usd: number }[] }>();
    expect(estimate.within_budget).toBe(false);
    expect(estimate.budgets.map((budget) => [budget.name, budget.remaining_usd])).toEqual([
      ['daily', 0.03],
      ['monthly', 9.98],
    ]);
  });

  it('an Idempotency-Key replay answers with its job even after the budget ran out', async () => {
    const replay = injectAs(api.app, await createTestKey(harness.runtime, replayTenant));
    const body = image();
    const headers = { 'idempotency-key': `replay-${newId('job')}` };
    const first = await replay({ method: 'POST', url: '/v1/jobs', payload: body, headers });
    expect(first.statusCode, first.body).toBe(201);
    const refused = expectApiError(await post(replay, '/v1/jobs', image()), 402);
    expect(refused.message).toContain('the daily budget of $0.015 ');
    expect(refused.message).toContain('has $0.005 remaining');
    const again = await replay({ method: 'POST', url: '/v1/jobs', payload: body, headers });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json<JobView>().id).toBe(first.json<JobView>().id);
    // A different body under the same key is still a conflict, budget or not.
    expectApiError(await replay({ method: 'POST', url: '/v1/jobs', payload: image(), headers }), 409);
  });

  it('a failed or canceled job releases its reservation; a fallback job reserves its dearest target', async () => {
    const failed = await post(ledger, '/v1/jobs', image({ params: { width: 64, height: 64, simulate: { fault: 'content_policy' } } }));
    expect(failed.statusCode, failed.body).toBe(201);
    expect((await harness.waitFor(failed.json<JobView>().id)).status).toBe('failed');
    await settledDay(ledgerTenant);

    const slow = await post(ledger, '/v1/jobs', image({ params: { width: 64, height: 64, simulate: { latency_ms: 60_000 } } }));
    expect(slow.statusCode).toBe(201);
    let [daily] = await budgetStatus(harness.runtime, ledgerTenant);
    expect(daily?.reserved_usd).toBeCloseTo(0.01, 9);
    const canceled = await ledger({ method: 'POST', url: `/v1/jobs/${slow.json<JobView>().id}/cancel` });
    expect(canceled.json<JobView>().status).toBe('canceled');
    [daily] = await budgetStatus(harness.runtime, ledgerTenant);
    expect(daily?.reserved_usd).toBe(0);
    expect(daily?.spent_usd).toBeCloseTo(0.02, 9);

    // local/card is free but its fallback is not: the dearer one is held until the job ends.
    const fallbackRequest = { kind: 'image', prompt: 'free first', model: 'local/card', fallbacks: ['simulated/image'] };
    const priced = (await post(ledger, '/v1/estimate', fallbackRequest)).json<{ estimate: { usd: number }; route: { reserve_usd: number } }>();
    expect([priced.estimate.usd, priced.route.reserve_usd]).toEqual([0, 0.01]);
    const withFallback = await post(ledger, '/v1/jobs', fallbackRequest);
    expect(withFallback.statusCode, withFallback.body).toBe(201);
    expect(withFallback.json<JobView>().estimated_cost_usd).toBe(0);
    const done = await harness.waitFor(withFallback.json<JobView>().id);
    expect([done.provider, done.actualCostUsd]).toEqual(['local', 0]);
    daily = await settledDay(ledgerTenant);
    expect(daily?.reserved_usd).toBe(0);
    expect(daily?.spent_usd).toBeCloseTo(0.02, 9);
  });

  it('the worker start settles reservations of jobs that ended unsettled (a crash in between)', async () => {
    const id = newId('job');
    await harness.runtime.repo.spending.reserve({ tenantId: 'ten_crashed', limits: [{ period: 'day:2000-01-01', limitUsd: 1 }], jobs: [{ jobId: id, usd: 0.4 }] });
    await harness.runtime.repo.createJob({ id, tenantId: 'ten_crashed', kind: 'image', request: { kind: 'image', prompt: 'x', params: {} }, targets: [{ provider: 'local', model: 'card' }] });
    await harness.runtime.repo.failJob(id, { class: 'internal', message: 'the process died' });
    expect(await harness.runtime.repo.spending.counters('ten_crashed', ['day:2000-01-01'])).toEqual([{ period: 'day:2000-01-01', reservedUsd: 0.4, spentUsd: 0 }]);
    expect(await settleEnded(harness.runtime)).toBeGreaterThanOrEqual(1);
    expect(await harness.runtime.repo.spending.counters('ten_crashed', ['day:2000-01-01'])).toEqual([{ period: 'day:2000-01-01', reservedUsd: 0, spentUsd: 0 }]);
    // Settling again changes nothing.
    expect(await harness.runtime.repo.spending.settle(id, 5)).toBe(false);
  });

  it('tenants without a budget entry get `default`; every reservation is per tenant', async () => {
    const status = await budgetStatus(harness.runtime, 'ten_someone_else');
    expect(status.map((budget) => [budget.name, budget.limit_usd])).toEqual([['monthly', 1000]]);
  });
});

describe('GET /v1/usage', () => {
  it('groups the tenant\'s attempts by provider, model, day and key', async () => {
    const byProvider = (await ledger({ method: 'GET', url: '/v1/usage?group_by=provider' })).json<{
      group_by: string;
      data: Record<string, string | number>[];
      total_cost_usd: number;
    }>();
    expect(byProvider.group_by).toBe('provider');
    const simulated = byProvider.data.find((row) => row.provider === 'simulated');
    const local = byProvider.data.find((row) => row.provider === 'local');
    // Succeeded on simulated: the first two jobs; failed: the content-policy one; canceled: one.
    expect(simulated).toMatchObject({ succeeded: 2, failed: 1, cost_usd: 0.02 });
    expect(local).toMatchObject({ succeeded: 1, cost_usd: 0 });
    expect(byProvider.total_cost_usd).toBe(0.02);

    const byModel = (await ledger({ method: 'GET', url: '/v1/usage?group_by=model' })).json<{ data: Record<string, string | number>[] }>();
    expect(byModel.data.map((row) => row.model)).toEqual(['local/card', 'simulated/image']);
    const byDay = (await ledger({ method: 'GET', url: '/v1/usage?group_by=day' })).json<{ data: Record<string, string | number>[] }>();
    expect(byDay.data).toEqual([expect.objectContaining({ day: new Date().toISOString().slice(0, 10), cost_usd: 0.02 })]);
    const byKey = (await ledger({ method: 'GET', url: '/v1/usage?group_by=key' })).json<{ data: Record<string, string | number>[] }>();
    expect(byKey.data.map((row) => row.key)).toEqual(['local/-', 'simulated/-']);

    // Another tenant's usage is its own.
    const burstUsage = (await burst({ method: 'GET', url: '/v1/usage?group_by=model' })).json<{ data: Record<string, string | number>[] }>();
    expect(burstUsage.data).toEqual([expect.objectContaining({ model: 'simulated/image', jobs: 50, succeeded: 50, cost_usd: 0.5 })]);
  });

  it('a bad group_by or date is a 400 naming the field and the allowed values', async () => {
    const error = expectApiError(await ledger({ method: 'GET', url: '/v1/usage?group_by=week' }), 400, 'group_by');
    expect(error.message).toContain('provider');
    expectApiError(await ledger({ method: 'GET', url: '/v1/usage?from=yesterday' }), 400, 'from');
  });
});
