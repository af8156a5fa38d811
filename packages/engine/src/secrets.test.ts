import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretError, loadSecrets, secretFilePath } from './secrets.ts';

const homes: string[] = [];
async function home(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mediagate-secrets-'));
  homes.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(homes.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const envSecret = 'a'.repeat(40);

describe('secrets', () => {
  it('seals and opens per purpose, and refuses another purpose or a changed byte', async () => {
    const secrets = loadSecrets({ secret: envSecret, home: await home() });
    const sealed = secrets.seal('provider-keys', 'sk-live-123');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('sk-live');
    expect(secrets.open('provider-keys', sealed)).toBe('sk-live-123');
    expect(secrets.seal('provider-keys', 'sk-live-123')).not.toBe(sealed);
    expect(() => secrets.open('webhook-secrets', sealed)).toThrow(SecretError);
    const altered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'B' : 'A') + sealed.slice(-1);
    expect(() => secrets.open('provider-keys', altered)).toThrow(/MEDIAGATE_SECRET must be the same/);
    expect(() => secrets.open('provider-keys', 'plain')).toThrow(/not a sealed value/);
  });

  it('signs per purpose and verifies in constant time', async () => {
    const secrets = loadSecrets({ secret: envSecret, home: await home() });
    const signature = secrets.sign('asset-urls', 'ast_1:1800000000');
    expect(secrets.verify('asset-urls', 'ast_1:1800000000', signature)).toBe(true);
    expect(secrets.verify('asset-urls', 'ast_1:1800000001', signature)).toBe(false);
    expect(secrets.verify('webhook-secrets', 'ast_1:1800000000', signature)).toBe(false);
    expect(secrets.verify('asset-urls', 'ast_1:1800000000', '')).toBe(false);
    const other = loadSecrets({ secret: 'b'.repeat(40), home: await home() });
    expect(other.verify('asset-urls', 'ast_1:1800000000', signature)).toBe(false);
  });

  it('without MEDIAGATE_SECRET generates one file (0600) and reuses it', async () => {
    const dir = await home();
    const first = loadSecrets({ secret: undefined, home: dir });
    expect(first.source).toBe('file');
    const sealed = first.seal('webhook-secrets', 'whsec_x');
    expect((await stat(secretFilePath(dir))).mode & 0o777).toBe(0o600);
    const content = await readFile(secretFilePath(dir), 'utf8');
    const second = loadSecrets({ secret: undefined, home: dir });
    expect(second.open('webhook-secrets', sealed)).toBe('whsec_x');
    expect(await readFile(secretFilePath(dir), 'utf8')).toBe(content);
  });

  it('refuses a short MEDIAGATE_SECRET, naming the variable', async () => {
    const dir = await home();
    expect(() => loadSecrets({ secret: 'short', home: dir })).toThrow(/MEDIAGATE_SECRET: must be at least 32/);
  });
});
