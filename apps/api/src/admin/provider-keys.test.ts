// /v1/admin/providers/:provider/keys through app.inject() against a real runtime and workers:
// keys added at run time are sealed at rest, never shown, and used by the workers; disabling and
// re-enabling any key takes effect at the next key choice; bad input is a 4xx naming the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { InputError } from '@mediagate/core';
import { createHarness, type Harness } from '../../../../test/support/harness.ts';
import { buildApi } from '../index.ts';

const adminKey = 'test-admin-key-provider-keys';
const bearer = { authorization: `Bearer ${adminKey}` };
const url = '/v1/admin/providers/simulated/keys';

let harness: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  harness = await createHarness({
    // The provider knows both secrets; anything else is a 401.
    simulated: { keys: { 'config-secret': {}, 'added-secret-value': {} } },
    config: {
      providers: {
        simulated: {
          pools: {
            default: { keys: [{ id: 'cfg', secret: 'config-secret', limits: { rpm: 100 } }] },
            illustration: { keys: [{ id: 'ill', secret: 'config-secret' }] },
          },
        },
      },
    },
  });
  app = await buildApi(harness.runtime, { logger: false, adminKey });
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

interface KeyBody {
  id: string;
  pool: string;
  status: string;
  source: string;
  limits: Record<string, number>;
}

async function runJob(pool?: string) {
  const job = await harness.submit({ kind: 'image', prompt: `admin keys ${Date.now()} ${Math.random()}`, model: 'simulated/image', ...(pool ? { pool } : {}) });
  const done = await harness.waitFor(job.id);
  const attempts = await harness.runtime.repo.listAttempts(job.id);
  return { done, keyIds: attempts.map((attempt) => attempt.keyId) };
}

describe('provider keys admin', () => {
  it('needs the admin key, and is off without one', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
      const response = await app.inject({ method: 'GET', url, headers });
      expect(response.statusCode).toBe(401);
      expect(response.json<{ error: { code: string } }>().error.code).toBe('unauthorized');
    }
    const off = await buildApi(harness.runtime, { logger: false, adminKey: '' });
    try {
      const response = await off.inject({ method: 'POST', url, headers: bearer, payload: { id: 'x', secret: 'y' } });
      expect(response.statusCode).toBe(404);
      expect(response.json<{ error: { message: string } }>().error.message).toContain('MEDIAGATE_ADMIN_KEY');
    } finally {
      await off.close();
    }
  });

  it('adds a key sealed at rest, never shows its secret, and the workers use it', async () => {
    const response = await app.inject({ method: 'POST', url, headers: bearer, payload: { id: 'added', secret: 'added-secret-value', limits: { rpm: 30, concurrency: 2 } } });
    expect(response.statusCode).toBe(201);
    expect(response.body).not.toContain('added-secret-value');
    expect(response.json<KeyBody>()).toMatchObject({ object: 'provider_key', provider: 'simulated', id: 'added', pool: 'default', status: 'active', source: 'admin', limits: { rpm: 30, concurrency: 2 } });

    const [row] = (await harness.runtime.repo.listProviderKeys('simulated')).filter((stored) => stored.id === 'simulated/added');
    expect(row?.secret).not.toContain('added-secret-value');
    expect(harness.runtime.secrets.open('provider-keys', row!.secret)).toBe('added-secret-value');

    const listed = await app.inject({ method: 'GET', url, headers: bearer });
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain('secret-value');
    expect(listed.body).not.toContain('config-secret');
    expect(listed.json<{ data: KeyBody[] }>().data.map((key) => [key.id, key.pool, key.source, key.status])).toEqual([
      ['cfg', 'default', 'config', 'active'],
      ['ill', 'illustration', 'config', 'active'],
      ['added', 'default', 'admin', 'active'],
    ]);

    // With the config key disabled, only the added one can serve the default pool.
    const disabled = await app.inject({ method: 'POST', url: `${url}/cfg/disable`, headers: bearer });
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json<KeyBody>().status).toBe('inactive');
    for (let i = 0; i < 3; i++) {
      const { done, keyIds } = await runJob();
      expect(done.status).toBe('succeeded');
      expect(keyIds).toEqual(['added']);
    }
    const stats = harness.simulated.stats();
    expect(stats.byKey['added-secret-value']?.accepted).toBe(3);

    const enabled = await app.inject({ method: 'POST', url: `${url}/cfg/enable`, headers: bearer });
    expect(enabled.json<KeyBody>().status).toBe('active');
  });

  it('takes a disabled added key out of use and keeps it listed as inactive', async () => {
    await app.inject({ method: 'POST', url, headers: bearer, payload: { id: 'second', secret: 'added-secret-value', pool: 'illustration' } });
    await app.inject({ method: 'POST', url: `${url}/ill/disable`, headers: bearer });
    const { keyIds } = await runJob('illustration');
    expect(keyIds).toEqual(['second']);
    const response = await app.inject({ method: 'POST', url: `${url}/second/disable`, headers: bearer });
    expect(response.json<KeyBody>()).toMatchObject({ id: 'second', status: 'inactive', source: 'admin' });
    expect((await harness.runtime.repo.listProviderKeys('simulated')).find((row) => row.id === 'simulated/second')?.status).toBe('inactive');
    // Every key of the pool is out: the job fails as `auth` instead of waiting forever.
    const { done } = await runJob('illustration');
    expect(done.status).toBe('failed');
    expect(done.error?.class).toBe('auth');
    await app.inject({ method: 'POST', url: `${url}/ill/enable`, headers: bearer });
    expect((await runJob('illustration')).keyIds).toEqual(['ill']);
  });

  it('answers bad input with a 4xx naming the field and the allowed values', async () => {
    const cases: [unknown, number, string, string][] = [
      [{ id: 'nosecret' }, 400, 'secret', 'secret'],
      [{ id: '1bad', secret: 's' }, 400, 'id', 'id'],
      [{ id: 'x', secret: 's', pool: 'Not a pool!' }, 400, 'pool', 'letters, digits, _ . - starting with a letter (at most 40)'],
      [{ id: 'cfg', secret: 's' }, 409, 'id', 'simulated already has a key "cfg"'],
      [{ id: 'x', secret: 's', limits: { rpm: -1 } }, 400, 'limits.rpm', 'limits.rpm'],
      [{ id: 'x', secret: 's', extra: 1 }, 400, '', 'extra'],
    ];
    for (const [payload, status, field, message] of cases) {
      const response = await app.inject({ method: 'POST', url, headers: bearer, payload: payload as object });
      expect(response.statusCode, JSON.stringify(payload)).toBe(status);
      const error = response.json<{ error: { field?: string; message: string } }>().error;
      if (field) expect(error.field, JSON.stringify(payload)).toBe(field);
      expect(error.message, JSON.stringify(payload)).toContain(message);
    }
    const unknown = await app.inject({ method: 'GET', url: '/v1/admin/providers/opnai/keys', headers: bearer });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<{ error: { message: string } }>().error.message).toMatch(/^provider: unknown provider "opnai"; available: .*simulated/);
    const missing = await app.inject({ method: 'POST', url: `${url}/nope/disable`, headers: bearer });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ error: { message: string } }>().error.message).toContain('simulated has no key "nope"; its keys: cfg, ill');
    expect((await harness.runtime.repo.listProviderKeys('simulated')).map((row) => row.id)).not.toContain('simulated/x');
  });

  it('refuses a job naming a pool its provider does not have, listing the pools', async () => {
    const error = await harness.submit({ kind: 'image', prompt: 'pool', model: 'simulated/image', pool: 'anime' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('pool: unknown pool "anime" for simulated; its pools: default, illustration');
    expect((error as InputError).field).toBe('pool');
  });

  it('works the queue of a pool added at run time, without a restart', async () => {
    const response = await app.inject({ method: 'POST', url, headers: bearer, payload: { id: 'anime-key', secret: 'added-secret-value', pool: 'anime' } });
    expect(response.statusCode).toBe(201);
    expect(response.json<KeyBody>()).toMatchObject({ id: 'anime-key', pool: 'anime' });
    // The workers started before the pool existed; they pick its queue up within a refresh.
    const { done, keyIds } = await runJob('anime');
    expect(done.status).toBe('succeeded');
    expect(keyIds).toEqual(['anime-key']);
  });
});
