// The verified-key cache on its own, against a repository whose reads the test controls: how
// many database reads requests cost, that a revoke racing a read never leaves the key trusted,
// and that the cache stays bounded.
import { describe, expect, it } from 'vitest';
import type { ApiKeyMatch, Repository } from '@mediagate/db';
import { generateApiKey, hashApiKey } from './api-keys.ts';
import { KeyCache } from './key-cache.ts';

/** A key table in memory; `hold` makes the next read wait until released (to stage a race). */
function keyTable() {
  const rows = new Map<string, ApiKeyMatch>();
  let reads = 0;
  let held: Promise<void> | undefined;
  const repo = {
    async findApiKeyByHash(hash: string): Promise<ApiKeyMatch | undefined> {
      reads += 1;
      // Read first, then wait: the answer is what the table held when the read began.
      const row = rows.get(hash);
      const answer = row && { key: { ...row.key }, tenant: row.tenant };
      if (held) await held;
      return answer;
    },
  } as Pick<Repository, 'findApiKeyByHash'> as Repository;
  return {
    repo,
    reads: () => reads,
    add(id: string, tenantId = 'ten_a'): string {
      const key = generateApiKey();
      rows.set(hashApiKey(key), {
        key: { id, tenantId, prefix: key.slice(0, 11), createdAt: new Date(), revokedAt: null },
        tenant: { id: tenantId, name: tenantId, createdAt: new Date() },
      });
      return key;
    },
    revoke(key: string): void {
      const row = rows.get(hashApiKey(key));
      if (row) row.key.revokedAt = new Date();
    },
    hold(): () => void {
      let release = () => {};
      held = new Promise<void>((resolve) => {
        release = () => {
          held = undefined;
          resolve();
        };
      });
      return release;
    },
  };
}

describe('KeyCache', () => {
  it('reads a verified key once per TTL, and every time for unknown and revoked keys', async () => {
    const table = keyTable();
    const key = table.add('key_1');
    const cache = new KeyCache(table.repo, { ttlMs: 60_000 });
    for (let index = 0; index < 5; index++) expect(await cache.verify(key)).toEqual({ ok: true, caller: { tenantId: 'ten_a', keyId: 'key_1' } });
    expect(table.reads()).toBe(1);

    const gone = table.add('key_2');
    table.revoke(gone);
    expect(await cache.verify(gone)).toEqual({ ok: false, reason: 'revoked' });
    expect(await cache.verify(gone)).toEqual({ ok: false, reason: 'revoked' });
    expect(await cache.verify('mg_nobody')).toEqual({ ok: false, reason: 'unknown' });
    expect(table.reads()).toBe(4);
  });

  it('drops a key on forget, and does not keep an answer read before a revoke that raced it', async () => {
    const table = keyTable();
    const key = table.add('key_1');
    const cache = new KeyCache(table.repo, { ttlMs: 60_000 });
    await cache.verify(key);
    table.revoke(key);
    cache.forget('key_1');
    expect(await cache.verify(key)).toEqual({ ok: false, reason: 'revoked' });

    // A read that began before the revoke answers "valid"; the request it serves raced the
    // revoke, but the answer must not be remembered for later requests.
    const racing = table.add('key_3');
    const release = table.hold();
    const inFlight = cache.verify(racing);
    table.revoke(racing);
    cache.forget('key_3');
    release();
    expect((await inFlight).ok).toBe(true);
    expect(await cache.verify(racing)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('reads again once the TTL is over, and with TTL 0 on every request', async () => {
    const table = keyTable();
    const key = table.add('key_1');
    const uncached = new KeyCache(table.repo, { ttlMs: 0 });
    await uncached.verify(key);
    await uncached.verify(key);
    expect(table.reads()).toBe(2);
    const brief = new KeyCache(table.repo, { ttlMs: 30 });
    await brief.verify(key);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await brief.verify(key);
    expect(table.reads()).toBe(4);
  });

  it('keeps at most maxEntries keys, forgetting the oldest', async () => {
    const table = keyTable();
    const keys = ['key_a', 'key_b', 'key_c'].map((id) => table.add(id));
    const cache = new KeyCache(table.repo, { ttlMs: 60_000, maxEntries: 2 });
    for (const key of keys) await cache.verify(key);
    expect(table.reads()).toBe(3);
    await cache.verify(keys[2] as string);
    await cache.verify(keys[1] as string);
    expect(table.reads()).toBe(3);
    await cache.verify(keys[0] as string);
    expect(table.reads()).toBe(4);
  });
});
