import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Counter, Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { KeyPool, type KeyChoice, type LeasedKey } from './keys.ts';
import { FleetLimits } from './limits/fleet-limits.ts';
import { keysFromEnv, staticKeys, type KeyDefinition } from './limits/key-definitions.ts';
import { registerKeyMetrics } from './limits/key-metrics.ts';
import { parseConfig } from './config/load.ts';

describe('keysFromEnv', () => {
  it('reads id=secret lists and names bare secrets', () => {
    const keys = keysFromEnv(['fal', 'openai', 'local'], {
      MEDIAGATE_KEYS_FAL: 'a=sk-1, b=sk-2',
      MEDIAGATE_KEYS_OPENAI: 'sk-bare==,main=sk-x',
    });
    expect(keys.get('fal')).toEqual([
      { id: 'a', secret: 'sk-1' },
      { id: 'b', secret: 'sk-2' },
    ]);
    expect(keys.get('openai')).toEqual([
      { id: 'key1', secret: 'sk-bare==' },
      { id: 'main', secret: 'sk-x' },
    ]);
    expect(keys.has('local')).toBe(false);
  });

  it('puts environment keys in pool default after the config ones, and refuses a duplicate id naming both places', () => {
    const config = parseConfig({ providers: { p: { pools: { style: { keys: [{ id: 'a', secret: 's', limits: { rpm: 5 } }] } } } } });
    expect(staticKeys(config, new Map([['p', [{ id: 'b', secret: 't' }]]])).map((key) => [key.pool, key.id, key.source])).toEqual([
      ['style', 'a', 'config'],
      ['default', 'b', 'env'],
    ]);
    expect(() => staticKeys(config, new Map([['p', [{ id: 'a', secret: 't' }]]]))).toThrow(
      'MEDIAGATE_KEYS_P: key id "a" is already used by providers.p.pools.style.keys[0]',
    );
  });
});

const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: false, maxRetriesPerRequest: 1 });
const prefixes: string[] = [];
afterEach(async () => {
  for (const prefix of prefixes.splice(0)) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }
});
afterAll(async () => {
  await redis.quit();
});

function key(id: string, limits: KeyDefinition['limits'] = {}, pool = 'default'): KeyDefinition {
  return { provider: 'p', pool, id, secret: `secret-${id}`, limits, source: 'config' };
}

/** Two pools on one Redis prefix: as two worker processes see the same keys. */
function fleet(keys: KeyDefinition[], options: { maxWaitMs?: number; stored?: () => Promise<KeyDefinition[]> } = {}): [KeyPool, KeyPool] {
  const prefix = `mgtest-keys-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  const make = () =>
    new KeyPool({
      limits: new FleetLimits(redis, prefix, { leaseTtlMs: 2000 }),
      keys,
      refreshMs: 0,
      ...(options.stored ? { loadStored: options.stored } : {}),
      ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
    });
  return [make(), make()];
}

function leased(choice: KeyChoice): LeasedKey {
  if (choice.type !== 'key') throw new Error(`expected a key, got ${JSON.stringify(choice)}`);
  return choice.key;
}

describe('KeyPool across processes', () => {
  it('picks the least-loaded key, counting the other process’s leases', async () => {
    const [one, two] = fleet([key('a', { concurrency: 4 }), key('b', { concurrency: 4 })]);
    const first = leased(await one.acquire('p', 'default'));
    const second = leased(await two.acquire('p', 'default'));
    expect([first.id, second.id].sort()).toEqual(['a', 'b']);
    await one.release('p', first);
    expect(leased(await two.acquire('p', 'default')).id).toBe(first.id);
    one.close();
    two.close();
  });

  it('never hands out more than a key’s concurrency, and waits for a released slot', async () => {
    const [one, two] = fleet([key('a', { concurrency: 2 })], { maxWaitMs: 150 });
    const held = [leased(await one.acquire('p', 'default')), leased(await two.acquire('p', 'default'))];
    const blocked = await one.acquire('p', 'default');
    expect(blocked.type).toBe('wait');
    const waiting = two.acquire('p', 'default', { maxWaitMs: 10_000 });
    await one.release('p', held[0]!);
    expect(leased(await waiting).id).toBe('a');
    one.close();
    two.close();
  });

  it('keeps to rpm over a sliding window and names the earliest slot', async () => {
    const [one, two] = fleet([key('a', { rpm: 3, minute_ms: 60_000 })], { maxWaitMs: 0 });
    for (const pool of [one, two, one]) await pool.release('p', leased(await pool.acquire('p', 'default')));
    const waited = await two.acquire('p', 'default');
    expect(waited.type).toBe('wait');
    if (waited.type === 'wait') expect(waited.at - Date.now()).toBeGreaterThan(50_000);
    const views = await one.describe('p');
    expect(views[0]).toMatchObject({ id: 'a', status: 'active', requests_last_minute: 3, requests_today: 3, in_flight: 0 });
    one.close();
    two.close();
  });

  it('keeps to a daily cap until the next UTC midnight, across processes', async () => {
    const [one, two] = fleet([key('a', { daily: 2 })], { maxWaitMs: 0 });
    await one.release('p', leased(await one.acquire('p', 'default')));
    await two.release('p', leased(await two.acquire('p', 'default')));
    const waited = await one.acquire('p', 'default');
    expect(waited.type).toBe('wait');
    const midnight = Math.ceil(Date.now() / 86_400_000) * 86_400_000;
    if (waited.type === 'wait') expect(Math.abs(waited.at - midnight)).toBeLessThan(5_000);
    expect((await two.describe('p'))[0]).toMatchObject({ requests_today: 2, status: 'active' });
    one.close();
    two.close();
  });

  it('gives back the slot of a lease that sent nothing', async () => {
    const [one] = fleet([key('a', { rpm: 1 })], { maxWaitMs: 0 });
    await one.release('p', leased(await one.acquire('p', 'default')), { unused: true });
    expect((await one.acquire('p', 'default')).type).toBe('key');
    one.close();
  });

  it('lets a crashed holder’s lease expire instead of leaking the slot', async () => {
    const [one, two] = fleet([key('a', { concurrency: 1 })], { maxWaitMs: 5000 });
    leased(await one.acquire('p', 'default'));
    one.close(); // stops renewing, as a killed process would
    const started = Date.now();
    expect(leased(await two.acquire('p', 'default')).id).toBe('a');
    expect(Date.now() - started).toBeGreaterThan(500);
    two.close();
  });

  it('cools a key down for every process, and moves to another key meanwhile', async () => {
    const [one, two] = fleet([key('a'), key('b')], { maxWaitMs: 0 });
    await one.coolDown('p', 'a', 30_000);
    for (let i = 0; i < 4; i++) expect(leased(await two.acquire('p', 'default')).id).toBe('b');
    expect((await two.describe('p')).map((view) => [view.id, view.status])).toEqual([
      ['a', 'rate_limited'],
      ['b', 'active'],
    ]);
    await one.coolDown('p', 'b', 30_000);
    const waited = await two.acquire('p', 'default');
    expect(waited.type).toBe('wait');
    one.close();
    two.close();
  });

  it('takes a refused key out of use everywhere, and reports every key disabled', async () => {
    const [one, two] = fleet([key('a'), key('b')], { maxWaitMs: 0 });
    await one.disable('p', 'a', '401 invalid key');
    for (let i = 0; i < 3; i++) expect(leased(await two.acquire('p', 'default')).id).toBe('b');
    expect(await two.status('p', 'default')).toEqual({ ready: true, enabled: true });
    await two.disable('p', 'b', '403');
    expect(await one.acquire('p', 'default')).toMatchObject({ type: 'exhausted', reason: 'a: 401 invalid key; b: 403' });
    expect((await one.describe('p')).map((view) => view.status)).toEqual(['error', 'error']);
    await one.limits.reactivate('p', 'a');
    expect(leased(await one.acquire('p', 'default')).id).toBe('a');
    one.close();
    two.close();
  });

  it('uses the pool a job names, and default (or every key) otherwise', async () => {
    const [one] = fleet([key('a', {}, 'default'), key('ill', {}, 'illustration')], { maxWaitMs: 0 });
    expect(one.pools('p')).toEqual(['default', 'illustration']);
    expect(leased(await one.acquire('p', one.poolFor('p', 'illustration'))).id).toBe('ill');
    expect(one.poolFor('p', 'nope')).toBe('default');
    for (let i = 0; i < 3; i++) expect(leased(await one.acquire('p', 'default')).id).toBe('a');
    expect(await one.acquire('other', 'default')).toEqual({ type: 'none' });
    one.close();
  });

  it('picks up keys added at run time and leaves out disabled ones', async () => {
    let stored: (KeyDefinition & { disabled?: boolean })[] = [];
    const [one] = fleet([key('a')], { maxWaitMs: 0, stored: async () => stored });
    await one.disable('p', 'a', 'revoked');
    expect((await one.acquire('p', 'default')).type).toBe('exhausted');
    stored = [{ ...key('added'), source: 'admin' }];
    expect(leased(await one.acquire('p', 'default')).id).toBe('added');
    stored = [{ ...key('added'), source: 'admin', disabled: true }];
    expect((await one.acquire('p', 'default')).type).toBe('exhausted');
    expect((await one.describe('p')).map((view) => [view.id, view.status, view.source])).toEqual([
      ['a', 'error', 'config'],
      ['added', 'inactive', 'admin'],
    ]);
    one.close();
  });

  it('reads the stored keys again before giving up, so a key another process just added counts', async () => {
    const prefix = `mgtest-keys-${randomBytes(4).toString('hex')}`;
    prefixes.push(prefix);
    let stored: KeyDefinition[] = [];
    let reads = 0;
    // refreshMs far longer than the test: only a forced read can see a new key.
    const newPool = () =>
      new KeyPool({
        limits: new FleetLimits(redis, prefix, { leaseTtlMs: 2000 }),
        keys: [key('a')],
        refreshMs: 60_000,
        maxWaitMs: 0,
        loadStored: async () => {
          reads += 1;
          return stored;
        },
      });
    const pool = newPool();
    await pool.release('p', leased(await pool.acquire('p', 'default')));
    expect(reads).toBe(1);
    // Usable keys need no further read.
    await pool.release('p', leased(await pool.acquire('p', 'default')));
    expect(reads).toBe(1);

    // Another process adds a key and an operator disables the only one this process knew of.
    stored = [{ ...key('added'), source: 'admin' }];
    await pool.disable('p', 'a', 'revoked');
    const added = leased(await pool.acquire('p', 'default'));
    expect(added.id).toBe('added');
    expect(reads).toBe(2);
    await pool.release('p', added);

    // With nothing usable even after the read, a fresh process gives up after that one read.
    stored = [];
    expect((await newPool().acquire('p', 'default')).type).toBe('exhausted');
    expect(reads).toBe(4);
    pool.close();
  });

  it('reports rolling health per key and per provider', async () => {
    const [one] = fleet([key('a'), key('b')]);
    for (const latencyMs of [100, 200, 300, 400]) await one.recordOutcome('p', 'a', { ok: true, latencyMs });
    await one.recordOutcome('p', 'b', { ok: false, latencyMs: 50 });
    const views = await one.describe('p');
    expect(views[0]?.health).toEqual({ attempts: 4, success_rate: 1, p50_ms: 200, p95_ms: 400 });
    expect(views[1]?.health).toEqual({ attempts: 1, success_rate: 0, p50_ms: null, p95_ms: null });
    expect(await one.providerHealth('p')).toEqual({ attempts: 5, success_rate: 0.8, p50_ms: 200, p95_ms: 400 });
    one.close();
  });

  it('exposes key status, use and health as Prometheus gauges read at scrape time', async () => {
    const [one] = fleet([key('a', { rpm: 10 }), key('b', {}, 'illustration')], { maxWaitMs: 0 });
    const registry = new Registry();
    registerKeyMetrics(registry, one, () => ['p']);
    const held = leased(await one.acquire('p', 'default'));
    await one.disable('p', 'b', '401');
    for (const latencyMs of [100, 300]) await one.recordOutcome('p', 'a', { ok: true, latencyMs });
    const text = await registry.metrics();
    expect(text).toContain('mediagate_provider_key_status{provider="p",pool="default",key_id="a",status="active"} 1');
    expect(text).toContain('mediagate_provider_key_status{provider="p",pool="illustration",key_id="b",status="error"} 1');
    expect(text).toContain('mediagate_provider_key_in_flight{provider="p",pool="default",key_id="a"} 1');
    expect(text).toContain('mediagate_provider_key_requests_last_minute{provider="p",pool="default",key_id="a"} 1');
    expect(text).toContain('mediagate_provider_success_rate{provider="p",key_id="all"} 1');
    expect(text).toContain('mediagate_provider_latency_ms{provider="p",key_id="a",quantile="0.95"} 300');
    expect(text).not.toContain('secret-');
    await one.release('p', held);
    expect(await registry.metrics()).toContain('mediagate_provider_key_in_flight{provider="p",pool="default",key_id="a"} 0');
    one.close();
  });

  it('serves the rest of the page when the key gauges cannot be read', async () => {
    const [one] = fleet([key('a', { rpm: 10 })], { maxWaitMs: 0 });
    const registry = new Registry();
    const heard: unknown[] = [];
    registerKeyMetrics(registry, one, () => ['p'], (error) => heard.push(error));
    new Counter({ name: 'still_here_total', help: 'a metric beside the key gauges', registers: [registry] }).inc();
    expect(await registry.metrics()).toContain('mediagate_provider_key_status{provider="p",pool="default",key_id="a",status="active"} 1');
    vi.spyOn(one, 'describe').mockRejectedValueOnce(new Error('redis down'));
    const text = await registry.metrics();
    expect(text).toContain('still_here_total 1');
    expect(text).not.toContain('mediagate_provider_key_status{');
    expect(heard.map((error) => (error as Error).message)).toEqual(['redis down']);
    one.close();
  });
});
