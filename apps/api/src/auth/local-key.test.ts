// The all-in-one key file: made on first start with mode 0600, kept while it works, replaced
// when its key was revoked or the file holds something else.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTenantId } from '@mediagate/engine';
import { createHarness, type Harness } from '../../../../test/support/harness.ts';
import { hashApiKey } from './api-keys.ts';
import { ensureLocalApiKey, localApiKeyFile } from './local-key.ts';

let harness: Harness;

beforeAll(async () => {
  harness = await createHarness({ workers: false });
});
afterAll(async () => {
  await harness?.close();
});

const stored = async () => (await readFile(localApiKeyFile(harness.settings.home), 'utf8')).trim();

describe('ensureLocalApiKey', () => {
  it('writes a default-tenant key readable by its owner only, then keeps it', async () => {
    const first = await ensureLocalApiKey(harness.runtime);
    expect(first).toMatchObject({ file: localApiKeyFile(harness.settings.home), created: true });
    const key = await stored();
    expect(first.prefix).toBe(key.slice(0, 11));
    expect((await stat(first.file)).mode & 0o777).toBe(0o600);
    const found = await harness.runtime.repo.findApiKeyByHash(hashApiKey(key));
    expect(found?.key).toMatchObject({ tenantId: defaultTenantId, revokedAt: null });

    expect(await ensureLocalApiKey(harness.runtime)).toEqual({ ...first, created: false });
    expect(await stored()).toBe(key);
  });

  it('replaces a revoked key and a file that holds no key, narrowing the file\'s mode', async () => {
    const before = await stored();
    const found = await harness.runtime.repo.findApiKeyByHash(hashApiKey(before));
    await harness.runtime.repo.revokeApiKey(found?.key.id ?? '');
    expect((await ensureLocalApiKey(harness.runtime)).created).toBe(true);
    const replaced = await stored();
    expect(replaced).not.toBe(before);

    await writeFile(localApiKeyFile(harness.settings.home), 'not a key\n', { mode: 0o644 });
    expect((await ensureLocalApiKey(harness.runtime)).created).toBe(true);
    expect(await stored()).toMatch(/^mg_/);
    expect((await stat(localApiKeyFile(harness.settings.home))).mode & 0o777).toBe(0o600);
    expect((await harness.runtime.repo.listApiKeys({ tenantId: defaultTenantId, active: true })).length).toBe(2);
  });
});
