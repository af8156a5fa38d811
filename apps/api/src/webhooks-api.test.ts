// The webhook routes over HTTP (in-process): endpoint and secret management, validation of URLs
// at the door (webhook_url on jobs too), the delivery log with filters and cursor pages, and
// tenant isolation. Deliveries are real: workers run the jobs and a receiver on 127.0.0.1 answers.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver.ts';
import { buildTestApi, createTestKey, expectApiError, injectAs, sideEffects, type Inject } from './test-support.ts';

describe('webhook routes', () => {
  let harness: Harness;
  let receiver: WebhookReceiver;
  let app: FastifyInstance;
  let inject: Inject;
  let other: Inject;

  beforeAll(async () => {
    harness = await createHarness({
      settings: { fetchAllow: ['127.0.0.1'], webhooks: { retryDelaysMs: [100], timeoutMs: 2000, pollMs: 40, concurrency: 4 } },
    });
    receiver = await startWebhookReceiver();
    const api = await buildTestApi(harness.runtime);
    app = api.app;
    inject = api.inject;
    other = injectAs(app, await createTestKey(harness.runtime, 'ten_webhooks_other'));
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await harness?.close();
    await receiver?.close();
  });

  const putEndpoint = (as: Inject, payload: unknown) => as({ method: 'PUT', url: '/v1/webhooks/endpoint', payload: payload as Record<string, unknown> });

  it('requires an API key', async () => {
    expectApiError(await app.inject({ method: 'GET', url: '/v1/webhooks/endpoint' }), 401);
    expectApiError(await app.inject({ method: 'GET', url: '/v1/webhooks/deliveries' }), 401);
  });

  it('refuses a job with webhook_url while the tenant has no signing secret, writing nothing', async () => {
    expect((await inject({ method: 'GET', url: '/v1/webhooks/endpoint' })).json()).toMatchObject({ url: null, has_secret: false, enabled: false });
    const before = await sideEffects(harness);
    const response = await inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind: 'image', prompt: 'x', model: 'simulated/image', webhook_url: `${receiver.url}/job` },
    });
    const error = expectApiError(response, 400, 'webhook_url');
    expect(error.code).toBe('webhook_secret_missing');
    expect(error.message).toMatch(/POST \/v1\/webhooks\/secret\/rotate/);
    expect(await sideEffects(harness)).toEqual(before);
  });

  it('validates the endpoint body and names the field', async () => {
    expectApiError(await putEndpoint(inject, {}), 400, 'url');
    expectApiError(await inject({ method: 'PUT', url: '/v1/webhooks/endpoint', payload: '["https://example.com"]', headers: { 'content-type': 'application/json' } }), 400, 'body');
    expectApiError(await inject({ method: 'PUT', url: '/v1/webhooks/endpoint', payload: '{"url":', headers: { 'content-type': 'application/json' } }), 400, 'body');
    expectApiError(await putEndpoint(inject, { url: 'ftp://example.com/x' }), 400, 'url');
    expectApiError(await putEndpoint(inject, { url: `https://example.com/${'a'.repeat(2100)}` }), 400, 'url');
    expectApiError(await putEndpoint(inject, { url: 'https://example.com/x', events: ['job.succeeded'] }), 400);
    for (const url of ['http://10.0.0.7/hooks', 'http://169.254.169.254/', 'http://[fd00::1]/', 'http://localhost:8080/']) {
      const error = expectApiError(await putEndpoint(inject, { url }), 400, 'url');
      expect(error.code, url).toBe('url_not_allowed');
    }
    expect((await inject({ method: 'GET', url: '/v1/webhooks/endpoint' })).json()).toMatchObject({ has_secret: false });
  });

  it('shows the signing secret once, when the endpoint is created, and never again', async () => {
    const created = await putEndpoint(inject, { url: `${receiver.url}/first` });
    expect(created.statusCode).toBe(201);
    const body = created.json<{ secret: string; url: string; enabled: boolean; secret_created_at: string }>();
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(body).toMatchObject({ url: `${receiver.url}/first`, enabled: true, has_secret: true });

    const read = (await inject({ method: 'GET', url: '/v1/webhooks/endpoint' })).json<Record<string, unknown>>();
    expect(read).not.toHaveProperty('secret');
    expect(JSON.stringify(read)).not.toContain(body.secret.slice(6, 20));

    const updated = await putEndpoint(inject, { url: `${receiver.url}/hooks` });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).not.toHaveProperty('secret');
    expect(updated.json()).toMatchObject({ url: `${receiver.url}/hooks`, secret_created_at: body.secret_created_at });
  });

  it('rotates the secret, keeping the old one valid for the asked time', async () => {
    const rotated = await inject({ method: 'POST', url: '/v1/webhooks/secret/rotate', payload: {} });
    expect(rotated.statusCode).toBe(200);
    const first = rotated.json<{ secret: string; previous_secret_expires_at: string }>();
    expect(first.secret).toMatch(/^whsec_/);
    const graceMs = Date.parse(first.previous_secret_expires_at) - Date.now();
    expect(graceMs).toBeGreaterThan(86_000_000);
    expect(graceMs).toBeLessThanOrEqual(86_400_000);

    const second = (await inject({ method: 'POST', url: '/v1/webhooks/secret/rotate', payload: { previous_secret_valid_for: 0 } })).json<{
      secret: string;
      previous_secret_expires_at: string | null;
    }>();
    expect(second.secret).not.toBe(first.secret);
    expect(second.previous_secret_expires_at).toBeNull();
    expectApiError(await inject({ method: 'POST', url: '/v1/webhooks/secret/rotate', payload: { previous_secret_valid_for: -1 } }), 400, 'previous_secret_valid_for');
    expectApiError(await inject({ method: 'POST', url: '/v1/webhooks/secret/rotate', payload: { previous_secret_valid_for: 700_000 } }), 400, 'previous_secret_valid_for');
  });

  it('refuses an obviously private webhook_url on a job with a 400, writing nothing', async () => {
    const before = await sideEffects(harness);
    for (const webhook_url of ['http://192.168.1.10/hook', 'http://0xa000001/', 'http://167772161/', 'http://[::ffff:10.0.0.1]/', 'ftp://example.com/']) {
      const response = await inject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', prompt: 'x', model: 'simulated/image', webhook_url } });
      expectApiError(response, 400, 'webhook_url');
    }
    expect(await sideEffects(harness)).toEqual(before);
  });

  it('lists deliveries newest first with filters and cursor pages, and hides them from other tenants', async () => {
    const ids: string[] = [];
    for (const prompt of ['one', 'two', 'three']) {
      const created = await inject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', prompt, model: 'simulated/image' } });
      expect(created.statusCode).toBe(201);
      ids.push(created.json<{ id: string }>().id);
    }
    const deadline = Date.now() + 20_000;
    for (;;) {
      const page = (await inject({ method: 'GET', url: '/v1/webhooks/deliveries?status=delivered' })).json<{ data: unknown[] }>();
      if (page.data.length >= 3) break;
      if (Date.now() > deadline) throw new Error('deliveries did not finish');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const all = (await inject({ method: 'GET', url: '/v1/webhooks/deliveries' })).json<{ data: { id: string; job_id: string }[]; next_cursor: string | null }>();
    expect(all.data.map((delivery) => delivery.job_id)).toEqual([...ids].reverse());
    expect(all.next_cursor).toBeNull();

    const one = (await inject({ method: 'GET', url: `/v1/webhooks/deliveries?job_id=${ids[1]}` })).json<{ data: Record<string, unknown>[] }>();
    expect(one.data).toHaveLength(1);
    expect(one.data[0]).toMatchObject({
      id: `msg_${ids[1]}`,
      object: 'webhook_delivery',
      job_id: ids[1],
      type: 'job.succeeded',
      url: `${receiver.url}/hooks`,
      status: 'delivered',
      attempts: 1,
      last_status_code: 200,
      last_error: null,
      next_attempt_at: null,
      attempt_log: [{ at: expect.any(String), status_code: 200, latency_ms: expect.any(Number), error: null }],
    });
    expect((await inject({ method: 'GET', url: '/v1/webhooks/deliveries?status=pending' })).json()).toMatchObject({ data: [], next_cursor: null });

    const first = (await inject({ method: 'GET', url: '/v1/webhooks/deliveries?limit=2' })).json<{ data: { id: string }[]; next_cursor: string }>();
    expect(first.data.map((delivery) => delivery.id)).toEqual([`msg_${ids[2]}`, `msg_${ids[1]}`]);
    const second = (await inject({ method: 'GET', url: `/v1/webhooks/deliveries?limit=2&before=${first.next_cursor}` })).json<{
      data: { id: string }[];
      next_cursor: string | null;
    }>();
    expect(second.data.map((delivery) => delivery.id)).toEqual([`msg_${ids[0]}`]);
    expect(second.next_cursor).toBeNull();

    expect((await inject({ method: 'GET', url: `/v1/webhooks/deliveries/msg_${ids[0]}` })).json()).toMatchObject({ job_id: ids[0], status: 'delivered' });

    // Another tenant sees none of it, by list, filter or id, and its endpoint is its own.
    expect((await other({ method: 'GET', url: '/v1/webhooks/deliveries' })).json()).toEqual({ object: 'list', data: [], next_cursor: null });
    expect((await other({ method: 'GET', url: `/v1/webhooks/deliveries?job_id=${ids[0]}` })).json()).toMatchObject({ data: [] });
    expectApiError(await other({ method: 'GET', url: `/v1/webhooks/deliveries/msg_${ids[0]}` }), 404);
    expect((await other({ method: 'GET', url: '/v1/webhooks/endpoint' })).json()).toMatchObject({ url: null, has_secret: false });
    expect((await putEndpoint(other, { url: `${receiver.url}/other` })).statusCode).toBe(201);
    expect((await inject({ method: 'GET', url: '/v1/webhooks/endpoint' })).json()).toMatchObject({ url: `${receiver.url}/hooks` });
  });

  it('answers bad list queries with a 400 naming the field', async () => {
    const status = expectApiError(await inject({ method: 'GET', url: '/v1/webhooks/deliveries?status=sent' }), 400, 'status');
    expect(status.message).toMatch(/pending/);
    expectApiError(await inject({ method: 'GET', url: '/v1/webhooks/deliveries?limit=0' }), 400, 'limit');
    expectApiError(await inject({ method: 'GET', url: '/v1/webhooks/deliveries?page=2' }), 400);
    expectApiError(await inject({ method: 'GET', url: '/v1/webhooks/deliveries/msg_nope' }), 404);
  });

  it('removes the endpoint URL but keeps the secret for per-job URLs', async () => {
    const removed = await inject({ method: 'DELETE', url: '/v1/webhooks/endpoint' });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ url: null, enabled: false, has_secret: true });
    const created = await inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind: 'image', prompt: 'own url', model: 'simulated/image', webhook_url: `${receiver.url}/own` },
    });
    expect(created.statusCode).toBe(201);
    const jobId = created.json<{ id: string }>().id;
    const deadline = Date.now() + 20_000;
    while (!receiver.received.some((hit) => hit.headers['webhook-id'] === `msg_${jobId}`)) {
      if (Date.now() > deadline) throw new Error('no delivery to the job URL');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(receiver.received.filter((hit) => hit.headers['webhook-id'] === `msg_${jobId}`).map((hit) => hit.path)).toEqual(['/own']);
  });

  it('describes the routes and the webhook_url field in the OpenAPI document', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>();
    expect(Object.keys(document.paths['/v1/webhooks/endpoint'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    expect(document.paths['/v1/webhooks/secret/rotate']).toHaveProperty('post');
    expect(document.paths['/v1/webhooks/deliveries']).toHaveProperty('get');
    expect(document.paths['/v1/webhooks/deliveries/{id}']).toHaveProperty('get');
    expect(document.components.schemas.GenerationRequest?.properties).toHaveProperty('webhook_url');
  });
});
