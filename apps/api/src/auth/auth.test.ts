// Tenant keys end to end through app.inject(): what a request without a good key gets (API and
// OpenAI shapes), which routes stay public, creating, listing and revoking keys with the admin
// key, how fast a revoke takes effect, and signed asset links.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import { createHarness, type Harness } from '../../../../test/support/harness.ts';
import { buildApi, type AssetView, type JobView } from '../index.ts';
import { SseClient } from '../sse-test-client.ts';
import { expectApiError, injectAs, type Inject } from '../test-support.ts';
import { hashApiKey } from './api-keys.ts';
import { signedAssetPath } from './signed-urls.ts';

const adminKey = 'admin-key-for-tests-0123456789';
const admin = { authorization: `Bearer ${adminKey}` };

interface CreatedKey {
  object: string;
  id: string;
  key: string;
  prefix: string;
  tenant_id: string;
  tenant_name: string;
  created_at: string;
  revoked_at: string | null;
}

let harness: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  harness = await createHarness({ workers: false });
  app = await buildApi(harness.runtime, { logger: false, adminKey });
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

async function createKey(body: Record<string, unknown> = {}, target: FastifyInstance = app): Promise<CreatedKey> {
  const response = await target.inject({ method: 'POST', url: '/v1/admin/keys', headers: admin, payload: body });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<CreatedKey>();
}

function expectUnauthorized(response: LightMyRequestResponse, invalidToken: boolean): string {
  const error = expectApiError(response, 401, 'authorization');
  expect(response.headers['www-authenticate']).toBe(invalidToken ? 'Bearer realm="mediagate", error="invalid_token"' : 'Bearer realm="mediagate"');
  return error.message;
}

describe('requests without a good key', () => {
  it('are refused with 401, a Bearer challenge and a message saying what is wrong', async () => {
    const revoked = await createKey({ tenant_id: 'ten_gone' });
    await app.inject({ method: 'DELETE', url: `/v1/admin/keys/${revoked.id}`, headers: admin });
    const cases: [Record<string, string>, boolean, RegExp][] = [
      [{}, false, /missing.*Bearer <API key>.*\/v1\/admin\/keys/],
      [{ authorization: '' }, false, /missing/],
      [{ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, false, /expected "Bearer <API key>"/],
      [{ authorization: 'Bearer' }, false, /expected "Bearer <API key>"/],
      [{ authorization: 'Bearer sk-openai-style' }, true, /not a Mediagate API key/],
      [{ authorization: `Bearer mg_${'x'.repeat(300)}` }, true, /not a Mediagate API key/],
      [{ authorization: 'Bearer mg_unknownkey' }, true, /unknown API key/],
      [{ authorization: `Bearer ${revoked.key}` }, true, /revoked/],
    ];
    for (const [headers, invalidToken, message] of cases) {
      const routes = [['GET', '/v1/jobs'], ['POST', '/v1/jobs'], ['GET', '/v1/providers'], ['GET', '/v1/no-such-route'], ['GET', '/%761/providers'], ['GET', '/v1/%70roviders'], ['GET', '/%761/no-such-route']] as const;
      for (const [method, url] of routes) {
        const response = await app.inject({ method, url, headers, ...(method === 'POST' ? { payload: { kind: 'image', prompt: 'x' } } : {}) });
        expect(expectUnauthorized(response, invalidToken), `${method} ${url} ${JSON.stringify(headers)}`).toMatch(message);
      }
    }
    expect(await harness.runtime.repo.countJobs()).toMatchObject({ queued: 0 });
  });

  it('on the OpenAI-compatible routes, answer in OpenAI\'s error shape', async () => {
    for (const url of ['/v1/images/generations', '/v1/audio/speech', '/v1/videos', '/v1/images/edits']) {
      const response = await app.inject({ method: 'POST', url, payload: { prompt: 'x' }, headers: { authorization: 'Bearer wrong' } });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({
        error: { message: 'Authorization: not a Mediagate API key (they start with "mg_")', type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
      });
    }
    expect((await app.inject({ method: 'GET', url: '/v1/videos/job_x' })).json<{ error: { type: string } }>().error.type).toBe('invalid_request_error');
  });

  it('leave health, readiness, metrics and the API description public', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });
});

describe('/openapi.json', () => {
  it('says which key each route needs', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { security?: unknown; tags?: string[] }>>;
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
    }>();
    expect(document.components.securitySchemes).toMatchObject({ apiKey: { type: 'http', scheme: 'bearer' }, adminKey: { type: 'http', scheme: 'bearer' } });
    expect(document.paths['/v1/jobs']?.post?.security).toEqual([{ apiKey: [] }]);
    expect(document.paths['/v1/images/generations']?.post?.security).toEqual([{ apiKey: [] }]);
    expect(document.paths['/v1/assets/{id}/content']?.get?.security).toEqual([{ apiKey: [] }, {}]);
    expect(document.paths['/v1/admin/keys']?.post).toMatchObject({ security: [{ adminKey: [] }], tags: ['admin'] });
    expect(document.paths['/v1/admin/keys/{id}']?.delete?.security).toEqual([{ adminKey: [] }]);
    expect(document.paths['/healthz']?.get?.security).toEqual([]);
  });
});

describe('/v1/admin/keys', () => {
  it('is off without MEDIAGATE_ADMIN_KEY, saying how to turn it on', async () => {
    const off = await buildApi(harness.runtime, { logger: false, adminKey: '' });
    try {
      for (const [method, url] of [['POST', '/v1/admin/keys'], ['GET', '/v1/admin/keys'], ['DELETE', '/v1/admin/keys/key_x']] as const) {
        const response = await off.inject({ method, url, headers: admin });
        expect(expectApiError(response, 404).message, url).toContain('set MEDIAGATE_ADMIN_KEY');
      }
    } finally {
      await off.close();
    }
  });

  it('needs the admin key, not a tenant key', async () => {
    const tenant = await createKey({ tenant_id: 'ten_not_admin' });
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${tenant.key}` }, { authorization: `Bearer ${adminKey}x` }]) {
      const response = await app.inject({ method: 'GET', url: '/v1/admin/keys', headers });
      expectApiError(response, 401, 'authorization');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="mediagate admin"');
    }
  });

  it('creates a key shown once, for a new or existing tenant, that works at once and sees only its tenant', async () => {
    const first = await createKey({ tenant_id: 'acme', tenant_name: 'Acme Inc.' });
    expect(first).toMatchObject({ object: 'api_key', tenant_id: 'acme', tenant_name: 'Acme Inc.', revoked_at: null });
    expect(first.key).toMatch(/^mg_[A-Za-z0-9_-]{43}$/);
    expect(first.prefix).toBe(first.key.slice(0, 11));
    expect(first.id).toMatch(/^key_[0-9a-f]{16}$/);
    // Stored by hash only.
    expect((await harness.runtime.repo.findApiKeyByHash(hashApiKey(first.key)))?.key.id).toBe(first.id);
    expect(await harness.runtime.repo.findApiKeyByHash(first.key)).toBeUndefined();

    // A second key for the same tenant keeps its name; a key without a tenant makes a new one.
    const second = await createKey({ tenant_id: 'acme', tenant_name: 'Ignored' });
    expect([second.tenant_id, second.tenant_name]).toEqual(['acme', 'Acme Inc.']);
    expect(second.key).not.toBe(first.key);
    const fresh = await createKey();
    expect(fresh.tenant_id).toMatch(/^ten_[0-9a-f]{12}$/);
    expect(fresh.tenant_name).toBe(fresh.tenant_id);

    const acme = injectAs(app, first.key);
    const job = await acme({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', prompt: 'Acme launch', model: 'simulated/image' } });
    expect(job.statusCode).toBe(201);
    expect((await harness.runtime.repo.getJob(job.json<JobView>().id))?.tenantId).toBe('acme');
    expect((await injectAs(app, second.key)({ method: 'GET', url: `/v1/jobs/${job.json<JobView>().id}` })).statusCode).toBe(200);
    expect((await injectAs(app, fresh.key)({ method: 'GET', url: `/v1/jobs/${job.json<JobView>().id}` })).statusCode).toBe(404);
  });

  it('refuses malformed bodies naming the field, and creates nothing', async () => {
    const before = (await harness.runtime.repo.listApiKeys()).length;
    const cases: [unknown, string][] = [
      [{ tenant_id: 'has space' }, 'tenant_id'],
      [{ tenant_id: '' }, 'tenant_id'],
      [{ tenant_id: 'x'.repeat(65) }, 'tenant_id'],
      [{ tenant_id: 42 }, 'tenant_id'],
      [{ tenant_name: '' }, 'tenant_name'],
      [{ tenant_name: 'n'.repeat(201) }, 'tenant_name'],
      [{ tenant: 'acme' }, 'tenant'],
      [['acme'], ''],
    ];
    for (const [payload, field] of cases) {
      const response = await app.inject({ method: 'POST', url: '/v1/admin/keys', headers: admin, payload: payload as Record<string, unknown> });
      const error = expectApiError(response, 400);
      if (field !== '') expect(error.field, JSON.stringify(payload)).toBe(field);
    }
    expect((await harness.runtime.repo.listApiKeys()).length).toBe(before);
    expectApiError(await app.inject({ method: 'GET', url: '/v1/admin/keys?active=yes', headers: admin }), 400, 'active');
  });

  it('lists keys by id, tenant and prefix only, filtered by tenant and state', async () => {
    const kept = await createKey({ tenant_id: 'listed' });
    const dropped = await createKey({ tenant_id: 'listed' });
    await app.inject({ method: 'DELETE', url: `/v1/admin/keys/${dropped.id}`, headers: admin });
    const list = async (query: string) => {
      const response = await app.inject({ method: 'GET', url: `/v1/admin/keys${query}`, headers: admin });
      expect(response.statusCode).toBe(200);
      return response;
    };
    const all = await list('?tenant_id=listed');
    const data = all.json<{ data: Record<string, unknown>[] }>().data;
    expect(data.map((key) => key.id)).toEqual([dropped.id, kept.id]);
    expect(Object.keys(data[0] ?? {}).sort()).toEqual(['created_at', 'id', 'object', 'prefix', 'revoked_at', 'tenant_id']);
    expect(all.body).not.toContain(kept.key);
    expect(all.body).not.toContain(hashApiKey(kept.key));
    expect(data[0]?.revoked_at).toEqual(expect.any(String));
    const active = (await list('?tenant_id=listed&active=true')).json<{ data: { id: string }[] }>().data;
    expect(active.map((key) => key.id)).toEqual([kept.id]);
    const everyone = (await list('')).json<{ data: { tenant_id: string }[] }>().data;
    expect(everyone.map((key) => key.tenant_id)).toEqual(expect.arrayContaining(['listed', 'acme']));
  });

  it('revokes: refused by this process on the very next request (even when cached), idempotent, 404 for an unknown id', async () => {
    const key = await createKey({ tenant_id: 'revokes' });
    const tenant = injectAs(app, key.key);
    expect((await tenant({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(200); // now cached
    const revoked = await app.inject({ method: 'DELETE', url: `/v1/admin/keys/${key.id}`, headers: admin });
    expect(revoked.statusCode).toBe(200);
    const revokedAt = revoked.json<CreatedKey>().revoked_at;
    expect(revokedAt).toEqual(expect.any(String));
    expect(expectUnauthorized(await tenant({ method: 'GET', url: '/v1/jobs' }), true)).toMatch(/revoked/);
    const again = await app.inject({ method: 'DELETE', url: `/v1/admin/keys/${key.id}`, headers: admin });
    expect(again.json<CreatedKey>().revoked_at).toBe(revokedAt);
    expectApiError(await app.inject({ method: 'DELETE', url: '/v1/admin/keys/key_nope', headers: admin }), 404);
  });

  it('cuts this process\'s open event streams of the revoked key, and only those', async () => {
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    const revoked = await createKey({ tenant_id: 'streamer' });
    const kept = await createKey({ tenant_id: 'streamer' });
    const job = (await injectAs(app, revoked.key)({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', prompt: 'Queued forever', model: 'simulated/image' } })).json<JobView>();
    const open = (key: string, url: string) => SseClient.open(`${origin}${url}`, { authorization: `Bearer ${key}` });
    const streams = [await open(revoked.key, `/v1/jobs/${job.id}/events`), await open(revoked.key, '/v1/events')];
    const other = await open(kept.key, `/v1/jobs/${job.id}/events`);
    try {
      await streams[0]?.until((frames) => frames.length === 1);
      await other.until((frames) => frames.length === 1);
      expect(streams.map((stream) => stream.response.status)).toEqual([200, 200]);
      await app.inject({ method: 'DELETE', url: `/v1/admin/keys/${revoked.id}`, headers: admin });
      await Promise.all(streams.map((stream) => stream.done.catch(() => undefined)));
      expect(streams.map((stream) => stream.ended)).toEqual([true, true]);
      expect(other.ended).toBe(false);
      const again = await fetch(`${origin}/v1/jobs/${job.id}/events`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${revoked.key}` } });
      expect(again.status).toBe(401);
    } finally {
      other.close();
      for (const stream of streams) stream.close();
    }
  });

  it('reaches another API process within its cache time (none here), and not before when it caches', async () => {
    const uncached = await buildApi(harness.runtime, { logger: false, adminKey, keyCacheTtlMs: 0 });
    const caching = await buildApi(harness.runtime, { logger: false, adminKey, keyCacheTtlMs: 600_000 });
    try {
      const key = await createKey({ tenant_id: 'elsewhere' });
      for (const other of [uncached, caching]) expect((await injectAs(other, key.key)({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(200);
      await app.inject({ method: 'DELETE', url: `/v1/admin/keys/${key.id}`, headers: admin });
      expect((await injectAs(uncached, key.key)({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(401);
      // The documented delay: a process that verified the key keeps trusting it until its cache time ends.
      expect((await injectAs(caching, key.key)({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(200);
    } finally {
      await uncached.close();
      await caching.close();
    }
  });
});

describe('signed asset links', () => {
  let owner: Inject;
  let asset: AssetView;
  let bytes: Buffer;

  beforeAll(async () => {
    owner = injectAs(app, (await createKey({ tenant_id: 'sharer' })).key);
    bytes = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#aa3355' } }).png().toBuffer();
    asset = (await owner({ method: 'POST', url: '/v1/uploads', payload: bytes, headers: { 'content-type': 'image/png' } })).json<AssetView>();
  });

  async function share(body: unknown = {}) {
    const response = await owner({ method: 'POST', url: `/v1/assets/${asset.id}/share`, payload: body as Record<string, unknown>, headers: { host: 'media.example.test' } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ object: string; asset_id: string; url: string; path: string; expires_at: string }>();
  }

  it('download without a key until they expire, with ETag and Range', async () => {
    const before = Math.floor(Date.now() / 1000);
    const link = await share({ expires_in: 600 });
    expect(link).toMatchObject({ object: 'asset_link', asset_id: asset.id, url: `http://media.example.test${link.path}` });
    const expires = Number(new URL(link.url).searchParams.get('expires'));
    expect(expires).toBeGreaterThanOrEqual(before + 600);
    expect(expires).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
    expect(link.expires_at).toBe(new Date(expires * 1000).toISOString());

    const whole = await app.inject({ method: 'GET', url: link.path });
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload.equals(bytes)).toBe(true);
    expect(whole.headers['content-type']).toBe('image/png');
    expect(whole.headers['cache-control']).toMatch(/^private, max-age=(\d+)$/);
    expect(Number(/max-age=(\d+)/.exec(String(whole.headers['cache-control']))?.[1])).toBeLessThanOrEqual(600);
    const part = await app.inject({ method: 'GET', url: link.path, headers: { range: 'bytes=1-4' } });
    expect(part.statusCode).toBe(206);
    expect(part.rawPayload.equals(bytes.subarray(1, 5))).toBe(true);
    expect((await app.inject({ method: 'GET', url: link.path, headers: { 'if-none-match': String(whole.headers.etag) } })).statusCode).toBe(304);
    // A key that is no good does not matter on a signed link.
    expect((await app.inject({ method: 'GET', url: link.path, headers: { authorization: 'Bearer nonsense' } })).statusCode).toBe(200);
    // Without the signature it is an ordinary download again: a key is needed.
    expectApiError(await app.inject({ method: 'GET', url: `/v1/assets/${asset.id}/content` }), 401);
  });

  it('last an hour by default, and refuse lifetimes out of bounds naming expires_in', async () => {
    const link = await share();
    expect(Date.parse(link.expires_at) - Date.now()).toBeGreaterThan(3590_000);
    expect(Date.parse(link.expires_at) - Date.now()).toBeLessThanOrEqual(3600_000);
    for (const expiresIn of [59, 604_801, 1.5, '600', null]) {
      const response = await owner({ method: 'POST', url: `/v1/assets/${asset.id}/share`, payload: { expires_in: expiresIn } });
      expectApiError(response, 400, 'expires_in');
    }
    expectApiError(await owner({ method: 'POST', url: `/v1/assets/${asset.id}/share`, payload: { ttl: 60 } }), 400, 'ttl');
    expectApiError(await owner({ method: 'POST', url: '/v1/assets/ast_missing/share', payload: {} }), 404);
  });

  it('answer 403 when expired or altered, and 400 when half there', async () => {
    const link = new URL((await share()).url);
    const signature = link.searchParams.get('signature') ?? '';
    const expires = link.searchParams.get('expires') ?? '';
    const at = (query: string, id = asset.id) => app.inject({ method: 'GET', url: `/v1/assets/${id}/content?${query}` });

    const past = new URL(signedAssetPath(harness.runtime.secrets, asset.id, Math.floor(Date.now() / 1000) - 5), 'http://x');
    const expired = expectApiError(await at(past.search.slice(1)), 403, 'expires');
    expect(expired.code).toBe('link_expired');
    expect(expired.message).toMatch(/expired at .*POST \/v1\/assets\/.*\/share/);

    const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    for (const query of [`expires=${expires}&signature=${flipped}`, `expires=${Number(expires) + 3600}&signature=${signature}`]) {
      const error = expectApiError(await at(query), 403, 'signature');
      expect(error.code).toBe('invalid_signature');
    }
    // The same signature does not open another asset.
    const other = (await owner({ method: 'POST', url: '/v1/uploads', payload: await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer(), headers: { 'content-type': 'image/png' } })).json<AssetView>();
    expectApiError(await at(`expires=${expires}&signature=${signature}`, other.id), 403, 'signature');

    expectApiError(await at(`expires=${expires}`), 400, 'signature');
    expectApiError(await at(`signature=${signature}`), 400, 'expires');
    expectApiError(await at(`expires=soon&signature=${signature}`), 400, 'expires');
    expectApiError(await at(`expires=${expires}&signature=${signature}&extra=1`), 400, 'extra');
  });
});
