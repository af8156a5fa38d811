// errorFromResponse on its own: which class each status becomes, the budget amounts read from a
// 402, Retry-After on a 429, and answers that are not the API's error shape.
import { describe, expect, it } from 'vitest';
import {
  MediagateBudgetExceededError,
  MediagateConflictError,
  MediagateError,
  MediagateRateLimitError,
  MediagateUnsupportedMediaTypeError,
  errorFromResponse,
} from './errors.ts';

const answer = (status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ error }), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('errorFromResponse', () => {
  it('reads a monthly budget message below a cent', async () => {
    const message =
      'budget exceeded: the monthly budget of $10.00 for tenant acme (UTC month 2026-11) has $0.0042 remaining, and this request is estimated at $0.0100';
    const error = await errorFromResponse(answer(402, { code: 'budget_exceeded', message }));
    expect(error).toBeInstanceOf(MediagateBudgetExceededError);
    expect(error).toMatchObject({ name: 'MediagateBudgetExceededError', budget: 'monthly', limitUsd: 10, remainingUsd: 0.0042, estimateUsd: 0.01, message });
  });

  it("takes the amounts from the body's budget figures, and from the message only when those are missing or malformed", async () => {
    const message = 'budget exceeded: the daily budget of $0.05 for tenant t (UTC day 2026-11-21) has $0.03 remaining, and this request is estimated at $0.10';
    const budget = { period: 'monthly', limit_usd: 12.5, remaining_usd: 0.004, estimate_usd: 0.25 };
    const figures = await errorFromResponse(answer(402, { code: 'budget_exceeded', message, budget }));
    expect(figures).toMatchObject({ budget: 'monthly', limitUsd: 12.5, remainingUsd: 0.004, estimateUsd: 0.25 });
    for (const malformed of [{ ...budget, period: 'weekly' }, { ...budget, remaining_usd: '0.03' }, 'daily', null]) {
      const fallback = await errorFromResponse(answer(402, { code: 'budget_exceeded', message, budget: malformed }));
      expect(fallback).toMatchObject({ budget: 'daily', limitUsd: 0.05, remainingUsd: 0.03, estimateUsd: 0.1 });
    }
  });

  it('leaves amounts undefined when a 402 budget message is worded otherwise, and a non-budget 402 a plain MediagateError', async () => {
    const odd = await errorFromResponse(answer(402, { code: 'budget_exceeded', message: 'over budget' }));
    expect(odd).toMatchObject({ budget: undefined, remainingUsd: undefined, estimateUsd: undefined, limitUsd: undefined });
    const paywall = await errorFromResponse(new Response('pay first', { status: 402, statusText: 'Payment Required' }));
    expect(paywall).not.toBeInstanceOf(MediagateBudgetExceededError);
    expect(paywall).toMatchObject({ name: 'MediagateError', status: 402, code: 'http_error', message: '402 Payment Required: pay first' });
  });

  it('gives a 429 its Retry-After, in seconds or as a date', async () => {
    const seconds = await errorFromResponse(answer(429, { code: 'rate_limited', message: 'slow down' }, { 'retry-after': '3' }));
    expect(seconds).toBeInstanceOf(MediagateRateLimitError);
    expect(seconds).toMatchObject({ retryAfterMs: 3000, isRetryable: true });
    const date = await errorFromResponse(answer(429, { code: 'rate_limited', message: 'later' }, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() }));
    expect((date as MediagateRateLimitError).retryAfterMs).toBeGreaterThan(50_000);
    expect(await errorFromResponse(answer(429, { code: 'rate_limited', message: 'x' }))).toMatchObject({ retryAfterMs: undefined });
  });

  it('keeps field, allowed and code on every class', async () => {
    const conflict = await errorFromResponse(answer(409, { code: 'read_only', message: 'config preset', field: 'name', allowed: ['a'] }));
    expect(conflict).toBeInstanceOf(MediagateConflictError);
    expect(conflict).toBeInstanceOf(MediagateError);
    expect(conflict).toMatchObject({ status: 409, code: 'read_only', field: 'name', allowed: ['a'] });
    expect(await errorFromResponse(answer(415, { code: 'unsupported_media_type', message: 'no' }))).toBeInstanceOf(MediagateUnsupportedMediaTypeError);
    const teapot = await errorFromResponse(answer(418, { code: 'teapot', message: 'short and stout' }));
    expect(teapot.constructor).toBe(MediagateError);
  });
});
