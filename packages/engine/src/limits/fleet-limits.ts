// Per-key limits shared by every process of a fleet, kept in Redis and changed only by the Lua
// scripts below, so that any number of workers together never exceed a key's rpm, concurrency or
// daily cap. Time is Redis's own clock (TIME), so workers with skewed clocks still agree.
import type { Redis } from 'ioredis';
import { cappedLists } from '../capped-lists.ts';
import { LuaScript } from '../redis.ts';
import type { KeyLimits } from '../config/schema.ts';

/**
 * acquire: picks the least-loaded usable key among those given and takes a slot on it.
 * KEYS, four per key: state hash, rpm log (zset), leases (zset), daily counter prefix.
 * ARGV: lease id, lease ttl ms, concurrency wait ms, key count, then four per key:
 *       rpm, concurrency, daily (0: no limit), rpm window ms.
 * Returns {1, key index (1-based)} | {0, wait ms, reason} | {-1} when every key is disabled.
 * A disabled key has status `error` or `inactive` in its state hash; a 429 sets `cool_until`.
 */
const acquireScript = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local day = math.floor(now / 86400000)
local leaseId, ttl, concurrencyWait, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local best, bestLoad, wait, reason, usable = nil, nil, nil, '', 0
for i = 1, n do
  local state, rpmKey, leaseKey, dayKey = KEYS[4*i-3], KEYS[4*i-2], KEYS[4*i-1], KEYS[4*i] .. ':' .. day
  local rpm, conc, daily, window = tonumber(ARGV[4*i+1]), tonumber(ARGV[4*i+2]), tonumber(ARGV[4*i+3]), tonumber(ARGV[4*i+4])
  local status = redis.call('HGET', state, 'status')
  if status ~= 'error' and status ~= 'inactive' then
    usable = usable + 1
    local keyWait, keyReason = 0, ''
    local cool = tonumber(redis.call('HGET', state, 'cool_until') or '0')
    if cool > now then keyWait, keyReason = cool - now, 'cooldown' end
    redis.call('ZREMRANGEBYSCORE', rpmKey, '-inf', now - window)
    local used = redis.call('ZCARD', rpmKey)
    if rpm > 0 and used >= rpm then
      local oldest = redis.call('ZRANGE', rpmKey, 0, 0, 'WITHSCORES')
      local slot = tonumber(oldest[2]) + window - now + 1
      if slot > keyWait then keyWait, keyReason = slot, 'rpm' end
    end
    redis.call('ZREMRANGEBYSCORE', leaseKey, '-inf', now)
    local inFlight = redis.call('ZCARD', leaseKey)
    if conc > 0 and inFlight >= conc then
      local first = redis.call('ZRANGE', leaseKey, 0, 0, 'WITHSCORES')
      local slot = math.min(tonumber(first[2]) - now, concurrencyWait)
      if slot > keyWait then keyWait, keyReason = slot, 'concurrency' end
    end
    local today = tonumber(redis.call('GET', dayKey) or '0')
    if daily > 0 and today >= daily then
      local slot = (day + 1) * 86400000 - now
      if slot > keyWait then keyWait, keyReason = slot, 'daily' end
    end
    if keyWait <= 0 then
      local load = 0
      if conc > 0 then load = load + inFlight / conc else load = load + inFlight / 1000 end
      if rpm > 0 then load = load + used / rpm end
      if bestLoad == nil or load < bestLoad then best, bestLoad = i, load end
    elseif wait == nil or keyWait < wait then
      wait, reason = keyWait, keyReason
    end
  end
end
if best ~= nil then
  local window = tonumber(ARGV[4*best+4])
  redis.call('ZADD', KEYS[4*best-2], now, leaseId)
  redis.call('PEXPIRE', KEYS[4*best-2], window * 2)
  redis.call('ZADD', KEYS[4*best-1], now + ttl, leaseId)
  redis.call('PEXPIRE', KEYS[4*best-1], ttl * 2)
  local dayKey = KEYS[4*best] .. ':' .. day
  redis.call('INCR', dayKey)
  redis.call('PEXPIRE', dayKey, 2 * 86400000)
  return {1, best}
end
if usable == 0 then return {-1} end
return {0, wait, reason}
`);

/**
 * hold / renew: (re)sets a concurrency lease to expire ttl ms from now. Holding takes no rpm or
 * daily slot: it is for work the provider already has (polling a stored operation).
 * KEYS: leases zset. ARGV: lease id, ttl ms.
 */
const leaseScript = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 1
`);

/**
 * sent: moves a request's rpm entry to now, when it is about to go out: the provider counts
 * arrival times, and a request waits a little between its slot and the wire (a database write).
 * KEYS: rpm log. ARGV: lease id.
 */
const sentScript = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
`);

/** refund: ends a lease that sent nothing. KEYS: leases, rpm log, daily prefix. ARGV: lease id. */
const refundScript = new LuaScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if score then
  redis.call('ZREM', KEYS[2], ARGV[1])
  local dayKey = KEYS[3] .. ':' .. math.floor(tonumber(score) / 86400000)
  if tonumber(redis.call('GET', dayKey) or '0') > 0 then redis.call('DECR', dayKey) end
end
return 1
`);

/** coolDown: no slot on this key before now + ms (a later cool-down already set wins). KEYS: state. ARGV: ms. */
const coolDownScript = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'cool_until') or '0')
if untilMs > current then redis.call('HSET', KEYS[1], 'cool_until', untilMs) end
return untilMs
`);

/** A key as the limiter sees it: where its counters live and its limits. */
export interface LimitedKey {
  provider: string;
  id: string;
  limits: KeyLimits;
}

export type AcquireResult =
  | { type: 'key'; index: number; leaseId: string }
  | { type: 'wait'; ms: number; reason: 'cooldown' | 'rpm' | 'concurrency' | 'daily' }
  | { type: 'disabled' };

export type KeyStatus = 'active' | 'inactive' | 'rate_limited' | 'error';

export interface KeyUsage {
  status: KeyStatus;
  /** Why a key is `error` or `inactive`. */
  reason: string | undefined;
  /** Redis time until which a 429 keeps the key out, when it is cooling down. */
  coolUntil: number | undefined;
  inFlight: number;
  /** Requests in the current rpm window. */
  lastMinute: number;
  /** Requests since UTC midnight. */
  today: number;
}

const minuteMs = 60_000;

/**
 * How much later than its timestamp here a request may reach the provider: the first request
 * on a fresh connection, or from a busy process, can take a couple of hundred milliseconds.
 */
export const arrivalGuardMs = 250;

/**
 * The rpm window the limiter keeps: the key's minute plus the arrival guard, so two requests
 * timed a window apart here also arrive a window apart at the provider.
 */
export function windowMs(limits: KeyLimits): number {
  return (limits.minute_ms ?? minuteMs) + arrivalGuardMs;
}

export class FleetLimits {
  readonly #redis: Redis;
  readonly #prefix: string;
  /** A lease outlives a crashed worker by at most this long; live holders renew it well before. */
  readonly leaseTtlMs: number;
  /** Longest wait reported when only concurrency is full: a slot frees when any holder finishes. */
  readonly concurrencyWaitMs: number;

  constructor(redis: Redis, prefix: string, options: { leaseTtlMs?: number; concurrencyWaitMs?: number } = {}) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.leaseTtlMs = options.leaseTtlMs ?? 60_000;
    this.concurrencyWaitMs = options.concurrencyWaitMs ?? 200;
  }

  #base(provider: string, id: string): string {
    return `${this.#prefix}:keys:${provider}:${id}`;
  }

  async acquire(keys: readonly LimitedKey[], leaseId: string): Promise<AcquireResult> {
    const redisKeys = keys.flatMap(({ provider, id }) => {
      const base = this.#base(provider, id);
      return [`${base}:state`, `${base}:rpm`, `${base}:leases`, `${base}:day`];
    });
    const args = keys.flatMap(({ limits }) => [limits.rpm ?? 0, limits.concurrency ?? 0, limits.daily ?? 0, windowMs(limits)]);
    const reply = (await acquireScript.run(this.#redis, redisKeys, [leaseId, this.leaseTtlMs, this.concurrencyWaitMs, keys.length, ...args])) as [number, number?, string?];
    if (reply[0] === 1) return { type: 'key', index: Number(reply[1]) - 1, leaseId };
    if (reply[0] === -1) return { type: 'disabled' };
    return { type: 'wait', ms: Math.max(1, Number(reply[1])), reason: (reply[2] ?? 'cooldown') as 'cooldown' };
  }

  /** Takes or extends a concurrency lease without counting a request. */
  async lease(provider: string, id: string, leaseId: string): Promise<void> {
    await leaseScript.run(this.#redis, [`${this.#base(provider, id)}:leases`], [leaseId, this.leaseTtlMs]);
  }

  /** Times a request's rpm slot at the moment it is sent. */
  async sent(provider: string, id: string, leaseId: string): Promise<void> {
    await sentScript.run(this.#redis, [`${this.#base(provider, id)}:rpm`], [leaseId]);
  }

  /** Ends a lease; `refund` also gives back its rpm and daily slot (nothing was sent with it). */
  async release(provider: string, id: string, leaseId: string, refund = false): Promise<void> {
    const base = this.#base(provider, id);
    if (!refund) {
      await this.#redis.zrem(`${base}:leases`, leaseId);
      return;
    }
    await refundScript.run(this.#redis, [`${base}:leases`, `${base}:rpm`, `${base}:day`], [leaseId]);
  }

  async coolDown(provider: string, id: string, ms: number): Promise<void> {
    await coolDownScript.run(this.#redis, [`${this.#base(provider, id)}:state`], [Math.max(1, Math.round(ms))]);
  }

  /** `error` (refused by the provider) or `inactive` (disabled by an operator), for every process. */
  async setStatus(provider: string, id: string, status: 'error' | 'inactive', reason: string): Promise<void> {
    await this.#redis.hset(`${this.#base(provider, id)}:state`, 'status', status, 'reason', reason);
  }

  /** Back in use: clears an `error` or `inactive` status and any cool-down. */
  async reactivate(provider: string, id: string): Promise<void> {
    await this.#redis.hdel(`${this.#base(provider, id)}:state`, 'status', 'reason', 'cool_until');
  }

  /** Every key's status and current use, in one round trip. */
  async usage(keys: readonly LimitedKey[]): Promise<KeyUsage[]> {
    if (keys.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    pipeline.time();
    for (const { provider, id } of keys) {
      const base = this.#base(provider, id);
      pipeline.hgetall(`${base}:state`);
      pipeline.zrange(`${base}:rpm`, 0, -1, 'WITHSCORES');
      pipeline.zrange(`${base}:leases`, 0, -1, 'WITHSCORES');
    }
    const replies = (await pipeline.exec()) ?? [];
    const [seconds, micros] = (replies[0]?.[1] as [string, string] | undefined) ?? [String(Date.now() / 1000), '0'];
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const day = Math.floor(now / 86_400_000);
    const todays = await this.#redis.mget(keys.map(({ provider, id }) => `${this.#base(provider, id)}:day:${day}`));
    return keys.map((key, index) => {
      const state = (replies[1 + index * 3]?.[1] as Record<string, string> | undefined) ?? {};
      const scores = (list: unknown): number[] => ((list as string[] | undefined) ?? []).filter((_, i) => i % 2 === 1).map(Number);
      const coolUntil = Number(state.cool_until ?? 0);
      const disabled = state.status === 'error' || state.status === 'inactive' ? state.status : undefined;
      return {
        status: disabled ?? (coolUntil > now ? 'rate_limited' : 'active'),
        reason: disabled ? state.reason : undefined,
        coolUntil: coolUntil > now ? coolUntil : undefined,
        inFlight: scores(replies[3 + index * 3]?.[1]).filter((expiry) => expiry > now).length,
        lastMinute: scores(replies[2 + index * 3]?.[1]).filter((at) => at > now - windowMs(key.limits)).length,
        today: Number(todays[index] ?? 0),
      };
    });
  }

  /** Records how one attempt on a key went, for rolling health (the last 200 per key). */
  async record(provider: string, id: string, outcome: { ok: boolean; latencyMs: number }): Promise<void> {
    // Batched with the other attempts' writes of this moment (capped-lists.ts).
    await cappedLists(this.#redis).push(`${this.#base(provider, id)}:health`, `${outcome.ok ? 1 : 0}:${Math.round(outcome.latencyMs)}`, 200, 7 * 86_400_000);
  }

  async outcomes(keys: readonly { provider: string; id: string }[]): Promise<{ ok: boolean; latencyMs: number }[][]> {
    if (keys.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const { provider, id } of keys) pipeline.lrange(`${this.#base(provider, id)}:health`, 0, -1);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([, list]) =>
      ((list as string[] | undefined) ?? []).map((entry) => {
        const [ok, latency] = entry.split(':');
        return { ok: ok === '1', latencyMs: Number(latency) };
      }),
    );
  }
}
