import { describe, expect, it } from 'vitest';
import { KeyPool } from './keys.ts';
import { keysFromEnv } from './limits/key-definitions.ts';

describe('keysFromEnv', () => {
  it('reads named and bare keys, keeping secrets that contain : or =', () => {
    const keys = keysFromEnv(['fal', 'openai', 'local'], {
      MEDIAGATE_KEYS_FAL: 'main=1a2b:c3d4, 9f9f:abab',
      MEDIAGATE_KEYS_OPENAI: 'sk-abc==,backup=sk-def==',
    });
    expect(keys.get('fal')).toEqual([
      { id: 'main', secret: '1a2b:c3d4' },
      { id: 'key2', secret: '9f9f:abab' },
    ]);
    expect(keys.get('openai')).toEqual([
      { id: 'key1', secret: 'sk-abc==' },
      { id: 'backup', secret: 'sk-def==' },
    ]);
    expect(keys.has('local')).toBe(false);
  });
});

describe('KeyPool', () => {
  const pool = () =>
    new KeyPool(
      new Map([
        [
          'p',
          [
            { id: 'a', secret: 'x' },
            { id: 'b', secret: 'y' },
          ],
        ],
      ]),
    );

  it('picks the least-loaded key', () => {
    const keys = pool();
    keys.acquire('p', 'a');
    expect(keys.choose('p')).toEqual({ type: 'key', key: { id: 'b', secret: 'y' } });
  });

  it('waits for the soonest cooled key, and reports every key disabled', () => {
    const keys = pool();
    keys.coolDown('p', 'a', 5000);
    keys.coolDown('p', 'b', 3000);
    expect(keys.choose('p', 1000)).toEqual({ type: 'wait', at: 3000 });
    keys.disable('p', 'a', 'revoked');
    keys.disable('p', 'b', 'revoked');
    expect(keys.choose('p')).toMatchObject({ type: 'exhausted' });
    expect(keys.describe('p').map((key) => key.status)).toEqual(['error', 'error']);
  });

  it('needs no key for providers without any', () => {
    expect(pool().choose('other')).toEqual({ type: 'none' });
  });
});
