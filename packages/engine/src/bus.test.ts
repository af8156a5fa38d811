// The live event feed against the real Redis: events published in one turn reach subscribers
// one by one and in order, though they travel as one PUBLISH; a lone event travels as it is; a
// publish that fails is reported, never thrown at the caller.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { JobEvent } from '@mediagate/db';
import { EventBus, type EventMessage } from './bus.ts';
import { createRedis } from './redis.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const opened: Redis[] = [];
const closers: (() => Promise<void>)[] = [];

function connection(): Redis {
  const redis = createRedis(url, { pipelined: true });
  opened.push(redis);
  return redis;
}

function event(jobId: string, seq: number): JobEvent {
  return { jobId, tenantId: 'tenant', seq, type: 'progress', data: { step: seq }, createdAt: new Date(1_700_000_000_000 + seq) };
}

/** Collects what a raw subscriber of the channel receives, and what onEvent hands over. */
async function listen(prefix: string, bus: EventBus): Promise<{ raw: string[]; messages: EventMessage[] }> {
  const seen = { raw: [] as string[], messages: [] as EventMessage[] };
  const raw = createRedis(url);
  opened.push(raw);
  raw.on('message', (_channel: string, message: string) => seen.raw.push(message));
  await raw.subscribe(`${prefix}:events`);
  closers.push(await bus.onEvent((message) => seen.messages.push(message)));
  return seen;
}

async function until(condition: () => boolean): Promise<void> {
  for (let tries = 0; tries < 200 && !condition(); tries += 1) await new Promise((resolve) => setTimeout(resolve, 10));
}

afterAll(async () => {
  for (const close of closers) await close();
  await Promise.all(opened.map((redis) => redis.quit().catch(() => undefined)));
});

describe('EventBus', () => {
  it('hands over the events of one turn one by one, in order, from one PUBLISH', async () => {
    const prefix = `mgtest-bus-${randomBytes(4).toString('hex')}`;
    const bus = new EventBus(connection(), url, prefix);
    const seen = await listen(prefix, bus);
    await Promise.all([bus.publish(event('job_a', 1)), bus.publish(event('job_b', 1)), bus.publish(event('job_a', 2))]);
    await until(() => seen.messages.length >= 3 && seen.raw.length >= 1);
    expect(seen.messages.map((message) => `${message.jobId}:${message.seq}`)).toEqual(['job_a:1', 'job_b:1', 'job_a:2']);
    expect(seen.messages[2]).toEqual({ jobId: 'job_a', tenantId: 'tenant', seq: 2, type: 'progress', data: { step: 2 }, createdAt: new Date(1_700_000_000_002).toISOString() });
    expect(seen.raw).toHaveLength(1);
  });

  it('publishes a lone event as the event itself', async () => {
    const prefix = `mgtest-bus-${randomBytes(4).toString('hex')}`;
    const bus = new EventBus(connection(), url, prefix);
    const seen = await listen(prefix, bus);
    await bus.publish(event('job_c', 1));
    await bus.publish(event('job_c', 2));
    await until(() => seen.messages.length >= 2 && seen.raw.length >= 2);
    expect(seen.raw.map((raw) => (JSON.parse(raw) as EventMessage).seq)).toEqual([1, 2]);
    expect(seen.messages.map((message) => message.seq)).toEqual([1, 2]);
  });

  it('reports a failed publish to onError and resolves', async () => {
    const publisher = connection();
    await publisher.quit();
    const errors: unknown[] = [];
    const bus = new EventBus(publisher, url, `mgtest-bus-${randomBytes(4).toString('hex')}`, (error) => errors.push(error));
    await expect(Promise.all([bus.publish(event('job_d', 1)), bus.publish(event('job_d', 2))])).resolves.toBeDefined();
    expect(errors).toHaveLength(1);
  });
});
