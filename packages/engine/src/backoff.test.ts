import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  const options = { baseMs: 1000, maxMs: 30_000 };

  it('doubles the ceiling with each failure and keeps at least half of it', () => {
    expect(backoffDelay(1, options, () => 0)).toBe(500);
    expect(backoffDelay(1, options, () => 1)).toBe(1000);
    expect(backoffDelay(3, options, () => 0)).toBe(2000);
    expect(backoffDelay(3, options, () => 1)).toBe(4000);
  });

  it('never exceeds the maximum', () => {
    expect(backoffDelay(30, options, () => 1)).toBe(30_000);
  });

  it('waits at least as long as Retry-After asks', () => {
    expect(backoffDelay(1, { ...options, retryAfterMs: 7000 }, () => 0)).toBe(7000);
    expect(backoffDelay(1, { ...options, retryAfterMs: 10 }, () => 0)).toBe(500);
  });
});
