// The pipelined connection against the real Redis: what one turn of the event loop sends leaves
// in one write, in the order it was sent, with what beforeWrite gathers at the turn's end, and
// nothing is lost when commands are sent before the connection is up. Scripts run by SHA1 and
// load themselves when Redis does not know them.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { beforeWrite, createRedis, LuaScript } from './redis.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `mgtest-redis-${randomBytes(4).toString('hex')}`;
const opened: Redis[] = [];

function connect(): Redis {
  const redis = createRedis(url, { pipelined: true });
  opened.push(redis);
  return redis;
}

/** Counts the writes the connection's socket makes from now on (one writev counts once). */
function countWrites(redis: Redis): { count: number } {
  const counter = { count: 0 };
  const socket = redis.stream as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const method of ['_write', '_writev'] as const) {
    const original = socket[method].bind(socket);
    socket[method] = (...args: unknown[]) => {
      counter.count += 1;
      return original(...args);
    };
  }
  return counter;
}

afterAll(async () => {
  const cleaner = connect();
  const keys = await cleaner.keys(`${prefix}:*`);
  if (keys.length > 0) await cleaner.del(...keys);
  await Promise.all(opened.map((redis) => redis.quit()));
});

describe('pipelined connection', () => {
  it('sends the commands of one turn, and those beforeWrite adds, in one write and in order', async () => {
    const redis = connect();
    await redis.ping();
    const writes = countWrites(redis);
    const key = `${prefix}:one-turn`;
    const atEnd = new Promise((resolve) => beforeWrite(redis, () => resolve(redis.rpush(key, 'last'))));
    await Promise.all([redis.rpush(key, 'first'), redis.rpush(key, 'second'), atEnd]);
    expect(writes.count).toBe(1);
    expect(await redis.lrange(key, 0, -1)).toEqual(['first', 'second', 'last']);
  });

  it('sends a later turn in a write of its own', async () => {
    const redis = connect();
    await redis.ping();
    const writes = countWrites(redis);
    const key = `${prefix}:two-turns`;
    await redis.rpush(key, 'a');
    await redis.rpush(key, 'b');
    expect(writes.count).toBe(2);
    expect(await redis.lrange(key, 0, -1)).toEqual(['a', 'b']);
  });

  it('delivers commands sent before the connection is ready, and runs beforeWrite work meanwhile', async () => {
    const redis = connect();
    const key = `${prefix}:early`;
    const ran = new Promise<void>((resolve) => beforeWrite(redis, resolve));
    await Promise.all([redis.set(key, 'v'), ran]);
    expect(await redis.get(key)).toBe('v');
  });
});

describe('LuaScript', () => {
  it('loads itself when Redis does not know it, then runs by its SHA1', async () => {
    const redis = connect();
    await redis.ping();
    const key = `${prefix}:script`;
    // A body no Redis has seen: the first run finds no script under its SHA1.
    const script = new LuaScript(`-- ${prefix}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`);
    const sent: string[] = [];
    const original = redis.sendCommand.bind(redis);
    redis.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
      sent.push(args[0].name);
      return original(...args);
    };
    expect(await script.run(redis, [key], [2])).toBe(2);
    expect(await script.run(redis, [key], [3])).toBe(5);
    expect(sent).toEqual(['evalsha', 'eval', 'evalsha']);
  });
});
