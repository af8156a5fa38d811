// The circuit breaker against the real Redis: it opens after N consecutive provider failures,
// lets exactly one probe through after the cooldown (half-open), and closes on the probe's
// success or reopens on its failure. Time is a variable here, not a wait.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createRedis } from '../redis.ts';
import { CircuitBreakers } from './breaker.ts';

let redis: Redis;
const prefix = `mgtest-breaker-${randomBytes(4).toString('hex')}`;

beforeAll(() => {
  redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function breakers(clock: { now: number }) {
  // No read cache: every question goes to Redis, as another process's would.
  return new CircuitBreakers(redis, prefix, { failures: 3, cooldownMs: 10_000, cacheMs: 0, now: () => clock.now });
}

describe('CircuitBreakers', () => {
  it('opens after consecutive failures, half-opens for one probe, closes on its success', async () => {
    const clock = { now: 1_000_000 };
    const fleetA = breakers(clock);
    const fleetB = breakers(clock);
    expect(await fleetA.state('p1')).toBe('closed');
    await fleetA.failure('p1');
    await fleetB.failure('p1');
    expect(await fleetA.allow('p1')).toBe(true);
    await fleetA.failure('p1');
    expect(await fleetB.state('p1')).toBe('open');
    expect(await fleetB.allow('p1')).toBe(false);

    clock.now += 9_999;
    expect(await fleetA.allow('p1')).toBe(false);
    clock.now += 1;
    expect(await fleetA.state('p1')).toBe('half-open');
    // One probe for the whole fleet.
    expect(await fleetA.allow('p1')).toBe(true);
    expect(await fleetB.allow('p1')).toBe(false);
    expect(await fleetA.allow('p1')).toBe(false);

    await fleetA.success('p1');
    expect(await fleetB.state('p1')).toBe('closed');
    expect(await fleetB.allow('p1')).toBe(true);
  });

  it('a success resets the count: failures must be consecutive', async () => {
    const clock = { now: 5_000_000 };
    const fleet = breakers(clock);
    await fleet.failure('p2');
    await fleet.failure('p2');
    await fleet.success('p2');
    await fleet.failure('p2');
    await fleet.failure('p2');
    expect(await fleet.state('p2')).toBe('closed');
    await fleet.failure('p2');
    expect(await fleet.state('p2')).toBe('open');
  });

  it('a failed probe reopens the circuit for another cooldown', async () => {
    const clock = { now: 9_000_000 };
    const fleet = breakers(clock);
    for (let i = 0; i < 3; i++) await fleet.failure('p3');
    clock.now += 10_000;
    expect(await fleet.allow('p3')).toBe(true);
    await fleet.failure('p3');
    expect(await fleet.state('p3')).toBe('open');
    clock.now += 5_000;
    expect(await fleet.allow('p3')).toBe(false);
    clock.now += 5_000;
    expect(await fleet.allow('p3')).toBe(true);
  });

  it('keeps providers apart', async () => {
    const clock = { now: 1 };
    const fleet = breakers(clock);
    for (let i = 0; i < 3; i++) await fleet.failure('p4');
    expect(await fleet.state('p4')).toBe('open');
    expect(await fleet.state('p5')).toBe('closed');
  });
});
