// The SDK's newer resources against a real listening API with workers: webhooks (endpoint, secret,
// deliveries checked with an independent verifier), presets, usage, estimates, job delete, the
// request fields preset/pool/webhook_url, and the admin client. Each method once as it succeeds
// and once as it fails, as the typed error a caller would catch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { buildApi, issueApiKey } from '@mediagate/api';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver.ts';
import {
  Mediagate,
  MediagateAdmin,
  MediagateAuthenticationError,
  MediagateBudgetExceededError,
  MediagateConflictError,
  MediagateError,
  MediagateFanOutError,
  MediagateNotFoundError,
  MediagatePayloadTooLargeError,
  MediagateUnsupportedMediaTypeError,
  type ApiKeyView,
  type CostEstimate,
  type CreatedApiKey,
  type JobEvent,
  type PresetView,
  type UsageGroup,
  type UsageReport,
} from './index.ts';

const adminKey = 'sdk-test-admin-key';
const budgetTenant = 'ten_sdk_budget';

let harness: Harness;
let receiver: WebhookReceiver;
let app: FastifyInstance;
let baseURL: string;
let client: Mediagate;
let admin: MediagateAdmin;
/** A tenant of its own for the webhook tests, so other jobs here send it nothing. */
let hooked: Mediagate;
let budgeted: Mediagate;

beforeAll(async () => {
  harness = await createHarness({
    simulated: { keys: { 'config-secret': {}, 'added-secret-value': {} } },
    settings: { fetchAllow: ['127.0.0.1'], webhooks: { retryDelaysMs: [100], timeoutMs: 2000, pollMs: 40, concurrency: 4 } },
    config: {
      providers: {
        simulated: {
          pools: {
            default: { keys: [{ id: 'cfg', secret: 'config-secret' }] },
            illustration: { keys: [{ id: 'ill', secret: 'config-secret' }] },
          },
        },
      },
      routes: { pair: { strategy: 'fan-out', targets: ['simulated/image', 'local/card'] } },
      budgets: { [budgetTenant]: { daily_usd: 0.05 } },
      presets: { 'sdk-config-card': { kind: 'image', model: 'local/card', params: { width: 80, height: 80 }, description: 'From the config file' } },
    },
  });
  receiver = await startWebhookReceiver();
  app = await buildApi(harness.runtime, { logger: false, adminKey, maxUploadBytes: 4096 });
  baseURL = await app.listen({ port: 0, host: '127.0.0.1' });
  const key = async (tenantId: string) => (await issueApiKey(harness.runtime.repo, { id: tenantId })).key;
  client = new Mediagate({ baseURL, apiKey: await key('ten_default'), timeoutMs: 20_000 });
  hooked = new Mediagate({ baseURL, apiKey: await key('ten_sdk_hooks'), timeoutMs: 20_000 });
  budgeted = new Mediagate({ baseURL, apiKey: await key(budgetTenant), timeoutMs: 20_000 });
  admin = new MediagateAdmin({ baseURL, adminKey, timeoutMs: 20_000 });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await harness?.close();
  await receiver?.close();
});

async function caught<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => expect.unreachable('expected a rejection'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Every key of T, checked by the compiler (a missing or unknown one does not compile). The SDK
 * writes some answer shapes out by hand; comparing these with the keys the server sent keeps them
 * from drifting apart.
 */
function keysOf<T>() {
  return <const K extends readonly (keyof T)[]>(keys: Exclude<keyof T, K[number]> extends never ? K : never): string[] => [...keys].map(String).sort();
}

const presetKeys = keysOf<PresetView>()(['object', 'name', 'source', 'kind', 'model', 'params', 'description', 'stats', 'created_at', 'updated_at']);
const usageKeys = keysOf<UsageReport>()(['object', 'group_by', 'data', 'total_cost_usd', 'budgets']);
const estimateKeys = keysOf<CostEstimate>()(['object', 'estimate', 'route', 'alternatives', 'cheapest', 'budgets', 'within_budget']);
const estimateRouteKeys = keysOf<CostEstimate['route']>()(['name', 'strategy', 'fan_out', 'targets', 'reserve_usd']);
const apiKeyKeys = keysOf<ApiKeyView>()(['object', 'id', 'tenant_id', 'prefix', 'created_at', 'revoked_at']);
const createdKeyKeys = keysOf<CreatedApiKey>()(['object', 'id', 'tenant_id', 'prefix', 'created_at', 'revoked_at', 'key', 'tenant_name']);
const sortedKeys = (value: object) => Object.keys(value).sort();

const card = (prompt: string) => ({ kind: 'image' as const, prompt, model: 'local/card', params: { width: 64, height: 64 } });

describe('webhooks', () => {
  it('reads, sets, rotates and removes the endpoint; refused input is a MediagateError naming the field', async () => {
    expect(await hooked.webhooks.getEndpoint()).toMatchObject({ object: 'webhook_endpoint', url: null, has_secret: false });
    await caught(new Mediagate({ baseURL, apiKey: 'mg_nope' }).webhooks.getEndpoint(), MediagateAuthenticationError);

    const refused = await caught(hooked.webhooks.setEndpoint('ftp://example.com/hooks'), MediagateError);
    expect(refused).toMatchObject({ status: 400, field: 'url' });
    expect(await hooked.webhooks.getEndpoint()).toMatchObject({ url: null, has_secret: false });

    const first = await hooked.webhooks.setEndpoint(`${receiver.url}/first`);
    expect(first.created).toBe(true);
    expect(first.endpoint).toMatchObject({ url: `${receiver.url}/first`, enabled: true, has_secret: true });
    expect(first.endpoint.secret).toMatch(/^whsec_/);
    const second = await hooked.webhooks.setEndpoint(`${receiver.url}/hooks`);
    expect(second.created).toBe(false);
    expect(second.endpoint).not.toHaveProperty('secret');
    expect(second.endpoint.secret_created_at).toBe(first.endpoint.secret_created_at);

    const rotateError = await caught(hooked.webhooks.rotateSecret({ previousSecretValidFor: -1 }), MediagateError);
    expect(rotateError).toMatchObject({ status: 400, field: 'previous_secret_valid_for' });
    const rotated = await hooked.webhooks.rotateSecret({ previousSecretValidFor: 600 });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(first.endpoint.secret);
    expect(Date.parse(rotated.previous_secret_expires_at ?? '') - Date.now()).toBeGreaterThan(500_000);

    const removed = await hooked.webhooks.deleteEndpoint();
    expect(removed).toMatchObject({ url: null, has_secret: true, enabled: false });
    await caught(new Mediagate({ baseURL }).webhooks.deleteEndpoint(), MediagateAuthenticationError);
    expect((await hooked.webhooks.getEndpoint()).url).toBeNull();
  });

  it('sends a job with webhook_url to that URL, signed with the current secret, and lists the delivery', async () => {
    const { secret } = await hooked.webhooks.rotateSecret({ previousSecretValidFor: 0 });
    const job = await hooked.jobs.create({ ...card('With a hook'), webhook_url: `${receiver.url}/job-hook` });
    expect((await hooked.jobs.wait(job.id, { timeoutMs: 20_000 })).status).toBe('succeeded');

    const page = await until(
      () => hooked.webhooks.deliveries.list({ jobId: job.id }),
      (found) => found.data[0]?.status === 'delivered',
    );
    expect(page.nextCursor).toBeNull();
    const [delivery] = page.data;
    expect(delivery).toMatchObject({ object: 'webhook_delivery', job_id: job.id, type: 'job.succeeded', url: `${receiver.url}/job-hook`, status: 'delivered', attempts: 1 });
    expect(delivery?.attempt_log[0]?.status_code).toBe(200);
    expect(await hooked.webhooks.deliveries.get(delivery?.id ?? '')).toEqual(delivery);

    const message = receiver.received.find((received) => received.headers['webhook-id'] === delivery?.id);
    expect(message?.path).toBe('/job-hook');
    const verified = new Webhook(secret).verify(message?.body ?? '', message?.headers as Record<string, string>) as { data: { id: string } };
    expect(verified.data.id).toBe(job.id);

    const all: string[] = [];
    for await (const each of hooked.webhooks.deliveries.iterate({ limit: 1 })) all.push(each.id);
    expect(all).toContain(delivery?.id);
    expect(new Set(all).size).toBe(all.length);

    await caught(hooked.webhooks.deliveries.get('whd_nope'), MediagateNotFoundError);
    // Another tenant cannot read it either.
    await caught(client.webhooks.deliveries.get(delivery?.id ?? ''), MediagateNotFoundError);
    const badFilter = await caught(hooked.webhooks.deliveries.list({ limit: 0 }), MediagateError);
    expect(badFilter).toMatchObject({ status: 400, field: 'limit' });
  });

  it('refuses webhook_url while the tenant has no signing secret', async () => {
    const error = await caught(client.jobs.create({ ...card('No secret'), webhook_url: `${receiver.url}/x` }), MediagateError);
    expect(error).toMatchObject({ status: 400, code: 'webhook_secret_missing', field: 'webhook_url' });
  });
});

describe('presets', () => {
  it('creates, reads, lists, replaces and deletes a tenant preset, and jobs name it', async () => {
    const created = await client.presets.create('sdk-square', { kind: 'image', model: 'local/card', params: { width: 72, height: 72 }, description: 'Square card' });
    expect(created).toMatchObject({ object: 'preset', name: 'sdk-square', source: 'tenant', model: 'local/card', params: { width: 72, height: 72 } });
    expect(sortedKeys(created)).toEqual(presetKeys);
    expect(sortedKeys(created.stats)).toEqual(['canceled', 'failed', 'succeeded', 'success_rate']);
    const conflict = await caught(client.presets.create('sdk-square', { model: 'local/card' }), MediagateConflictError);
    expect(conflict).toMatchObject({ status: 409, code: 'conflict', field: 'name' });

    const job = await client.jobs.create({ kind: 'image', prompt: 'From a preset', preset: 'sdk-square' });
    const done = await client.jobs.wait(job.id, { timeoutMs: 20_000 });
    expect(done.outputs?.[0]).toMatchObject({ width: 72, height: 72 });
    const read = await until(
      () => client.presets.get('sdk-square'),
      (preset) => preset.stats.succeeded === 1,
    );
    expect(read.stats).toEqual({ succeeded: 1, failed: 0, canceled: 0, success_rate: 1 });

    const listed = await client.presets.list();
    expect(listed.map((preset) => [preset.name, preset.source])).toEqual(
      expect.arrayContaining([
        ['sdk-config-card', 'config'],
        ['sdk-square', 'tenant'],
      ]),
    );
    const replaced = await client.presets.put('sdk-square', { kind: 'image', model: 'local/card', params: { width: 90, height: 90 } });
    expect(replaced).toMatchObject({ created: false, preset: { params: { width: 90, height: 90 }, description: null } });
    expect((await client.presets.put('sdk-new', { model: 'draft' })).created).toBe(true);
    const badPut = await caught(client.presets.put('sdk-bad', { model: 'nobody/nothing' }), MediagateError);
    expect(badPut).toMatchObject({ status: 400, field: 'model' });

    await client.presets.delete('sdk-square');
    await caught(client.presets.get('sdk-square'), MediagateNotFoundError);
    await caught(client.presets.delete('sdk-square'), MediagateNotFoundError);
    const readOnly = await caught(client.presets.delete('sdk-config-card'), MediagateConflictError);
    expect(readOnly.code).toBe('read_only');
    await caught(new Mediagate({ baseURL }).presets.list(), MediagateAuthenticationError);
  });
});

describe('usage, estimate and budgets', () => {
  it('groups the tenant\'s usage by provider, model, day and key', async () => {
    const job = await client.jobs.create({ kind: 'image', prompt: 'For usage', model: 'simulated/image', params: { width: 64, height: 64 } });
    await client.jobs.wait(job.id, { timeoutMs: 20_000 });
    const today = new Date().toISOString().slice(0, 10);
    const expected: Record<UsageGroup, string> = { provider: 'simulated', model: 'simulated/image', day: today, key: 'simulated/cfg' };
    for (const [groupBy, value] of Object.entries(expected) as [UsageGroup, string][]) {
      const report = await client.usage.get({ groupBy, from: new Date(Date.now() - 3_600_000) });
      expect(report).toMatchObject({ object: 'usage', group_by: groupBy });
      expect(sortedKeys(report)).toEqual(usageKeys);
      expect(sortedKeys(report.data[0] ?? {})).toEqual(['attempts', 'cost_usd', 'failed', 'jobs', 'succeeded', groupBy].sort());
      expect(report.data.map((row) => row[groupBy])).toContain(value);
      expect(report.data.find((row) => row[groupBy] === value)?.succeeded).toBeGreaterThanOrEqual(1);
    }
    expect((await client.usage.get({ from: new Date(Date.now() + 3_600_000) })).data).toEqual([]);
    const error = await caught(client.usage.get({ groupBy: 'week' as UsageGroup }), MediagateError);
    expect(error).toMatchObject({ status: 400, field: 'group_by' });
    expect(error.allowed).toEqual(['provider', 'model', 'day', 'key']);
  });

  it('estimates a request with its alternatives, and refuses one no model can run', async () => {
    const estimate = await budgeted.jobs.estimate({ kind: 'video', prompt: 'Price me', model: 'simulated/video', params: { duration: 2, width: 64, height: 64 } });
    expect(estimate).toMatchObject({ object: 'estimate', estimate: { provider: 'simulated', model: 'video', usd: 0.1 }, within_budget: false });
    expect(sortedKeys(estimate)).toEqual(estimateKeys);
    expect(sortedKeys(estimate.route)).toEqual(estimateRouteKeys);
    expect(estimate.budgets).toEqual([expect.objectContaining({ name: 'daily', limit_usd: 0.05, remaining_usd: 0.05 })]);
    expect(estimate.alternatives.length).toBeGreaterThan(1);
    expect(estimate.cheapest.usd).toBeLessThanOrEqual(estimate.estimate.usd ?? Number.POSITIVE_INFINITY);
    const error = await caught(budgeted.jobs.estimate({ kind: 'image', prompt: 'x', model: 'nobody/nothing' }), MediagateError);
    expect(error).toMatchObject({ status: 400, field: 'model' });
  });

  it('turns a 402 into MediagateBudgetExceededError with what is left, and stores nothing', async () => {
    const error = await caught(
      budgeted.jobs.create({ kind: 'video', prompt: 'Too dear', model: 'simulated/video', params: { duration: 2, width: 64, height: 64 } }),
      MediagateBudgetExceededError,
    );
    expect(error).toMatchObject({ status: 402, code: 'budget_exceeded', budget: 'daily', limitUsd: 0.05, remainingUsd: 0.05, estimateUsd: 0.1, isRetryable: false });
    expect(error).toBeInstanceOf(MediagateError);
    expect((await budgeted.jobs.list()).data).toEqual([]);
  });
});

describe('jobs: pool, delete, idempotency; uploads', () => {
  it('runs a job on a named pool, and refuses a pool the provider lacks', async () => {
    const job = await client.jobs.create({ kind: 'image', prompt: 'Illustrated', model: 'simulated/image', pool: 'illustration', params: { width: 64, height: 64 } });
    const done = await client.jobs.wait(job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('succeeded');
    expect((await harness.runtime.repo.listAttempts(job.id)).map((attempt) => attempt.keyId)).toEqual(['ill']);
    const error = await caught(client.jobs.create({ kind: 'image', prompt: 'x', model: 'simulated/image', pool: 'nopool' }), MediagateError);
    expect(error).toMatchObject({ status: 400, field: 'pool' });
    expect(error.allowed).toEqual(expect.arrayContaining(['default', 'illustration']));
  });

  it('deletes a job, after which it is not found', async () => {
    const job = await client.jobs.create(card('Delete me'));
    await client.jobs.wait(job.id, { timeoutMs: 20_000 });
    await client.jobs.delete(job.id);
    await caught(client.jobs.get(job.id), MediagateNotFoundError);
    await caught(client.jobs.delete(job.id), MediagateNotFoundError);
  });

  it('answers a reused Idempotency-Key with another body as MediagateConflictError', async () => {
    const first = await client.jobs.create(card('Once'), { idempotencyKey: 'sdk-idem-1' });
    expect((await client.jobs.create(card('Once'), { idempotencyKey: 'sdk-idem-1' })).id).toBe(first.id);
    const error = await caught(client.jobs.create(card('Twice'), { idempotencyKey: 'sdk-idem-1' }), MediagateConflictError);
    expect(error).toMatchObject({ status: 409, code: 'idempotency_conflict' });
  });

  it('refuses an upload over the limit (413) and one that is not an image (415)', async () => {
    const tooBig = new Uint8Array(8192);
    tooBig.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const large = await caught(client.uploads.create(tooBig, { contentType: 'image/png' }), MediagatePayloadTooLargeError);
    expect(large).toMatchObject({ status: 413, code: 'payload_too_large' });
    const text = await caught(client.uploads.create(new TextEncoder().encode('hello'), { contentType: 'text/plain' }), MediagateUnsupportedMediaTypeError);
    expect(text.status).toBe(415);
  });

  it('shares an asset, and a missing one is MediagateNotFoundError', async () => {
    const done = await client.jobs.wait((await client.jobs.create(card('Share'))).id, { timeoutMs: 20_000 });
    const link = await client.assets.share(done.outputs?.[0]?.id ?? '', { expiresIn: 60 });
    expect((await fetch(link.url)).status).toBe(200);
    await caught(client.assets.share('ast_nope'), MediagateNotFoundError);
    expect(await caught(client.assets.share(done.outputs?.[0]?.id ?? '', { expiresIn: 5 }), MediagateError)).toMatchObject({ status: 400, field: 'expires_in' });
  });
});

describe('fan-out, list filters and the tenant event stream', () => {
  it('submits to a fan-out route and answers every job; create holds them in MediagateFanOutError', async () => {
    const request = { kind: 'image' as const, prompt: 'Both of them', model: 'pair', params: { width: 64, height: 64 } };
    const submitted = await client.jobs.submit(request);
    expect(submitted.route).toBe('pair');
    expect(submitted.jobs.map((job) => job.target)).toEqual(['simulated/image', 'local/card']);
    const batch = await client.jobs.list({ batchId: submitted.batchId ?? '' });
    expect(batch.data.map((job) => job.id).sort()).toEqual(submitted.jobs.map((job) => job.id).sort());
    const single = await client.jobs.submit(card('Just one'));
    expect(single).toMatchObject({ batchId: null, route: null, jobs: [{ object: 'job', targets: ['local/card'] }] });

    const error = await caught(client.jobs.create(request), MediagateFanOutError);
    expect(error.fanOut.jobs).toHaveLength(2);
    expect(error.message).toContain(error.fanOut.batch_id);
    await Promise.all([...submitted.jobs, ...error.fanOut.jobs].map((job) => client.jobs.wait(job.id, { timeoutMs: 20_000 })));
    const refused = await caught(client.jobs.submit({ ...request, fallbacks: ['local/card'] }), MediagateError);
    expect(refused).toMatchObject({ status: 400, field: 'fallbacks' });
  });

  it('lists jobs by provider and creation time, and names a bad filter', async () => {
    const since = new Date(Date.now() - 1000);
    const job = await client.jobs.create(card('Filtered'));
    await client.jobs.wait(job.id, { timeoutMs: 20_000 });
    const local = await client.jobs.list({ provider: 'local', createdAfter: since, limit: 200 });
    expect(local.data.map((each) => each.id)).toContain(job.id);
    expect(new Set(local.data.map((each) => each.provider))).toEqual(new Set(['local']));
    expect((await client.jobs.list({ createdBefore: since, limit: 200 })).data.map((each) => each.id)).not.toContain(job.id);
    const error = await caught(client.jobs.list({ provider: 'Not A Provider!' }), MediagateError);
    expect(error).toMatchObject({ status: 400, field: 'provider' });
  });

  it('streams every job of the tenant live, and a bad key is MediagateAuthenticationError', async () => {
    const apiKey = (await issueApiKey(harness.runtime.repo, { id: 'ten_sdk_events' })).key;
    let opened: () => void = () => undefined;
    const streaming = new Promise<void>((resolve) => (opened = resolve));
    const watcher = new Mediagate({
      baseURL,
      apiKey,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (String(input).endsWith('/v1/events')) opened();
        return response;
      },
    });
    const seen: JobEvent[] = [];
    const controller = new AbortController();
    const ids: string[] = [];
    const collecting = (async () => {
      for await (const event of watcher.events.stream({ signal: controller.signal })) {
        seen.push(event);
        if (ids.length === 2 && ids.every((id) => seen.some((each) => each.jobId === id && each.type === 'succeeded'))) break;
      }
    })();
    await streaming;
    for (const prompt of ['Stream one', 'Stream two']) ids.push((await watcher.jobs.create(card(prompt))).id);
    const timer = setTimeout(() => controller.abort(new Error('no succeeded events within 20 s')), 20_000);
    await collecting.finally(() => clearTimeout(timer));
    for (const id of ids) {
      const recorded = await watcher.jobs.listEvents(id);
      // Subscribed before the jobs were made: every event of each, in order, as recorded.
      expect(seen.filter((event) => event.jobId === id)).toEqual(recorded);
    }
    await caught(new Mediagate({ baseURL, apiKey: 'mg_nope' }).events.stream().next(), MediagateAuthenticationError);
  });
});

describe('MediagateAdmin', () => {
  it('creates, lists and revokes tenant keys; a tenant key is not an admin key', async () => {
    const created = await admin.keys.create({ tenant_id: 'ten_sdk_admin', tenant_name: 'Admin test' });
    expect(created).toMatchObject({ object: 'api_key', tenant_id: 'ten_sdk_admin', tenant_name: 'Admin test', revoked_at: null });
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(sortedKeys(created)).toEqual(createdKeyKeys);
    const tenant = new Mediagate({ baseURL, apiKey: created.key });
    expect(await tenant.presets.list()).toEqual(expect.any(Array));

    const listed = await admin.keys.list({ tenantId: 'ten_sdk_admin' });
    expect(listed).toEqual([{ object: 'api_key', id: created.id, tenant_id: 'ten_sdk_admin', prefix: created.prefix, created_at: created.created_at, revoked_at: null }]);
    expect(JSON.stringify(listed)).not.toContain(created.key);

    expect(sortedKeys(listed[0] ?? {})).toEqual(apiKeyKeys);
    const revoked = await admin.keys.revoke(created.id);
    expect(revoked.revoked_at).not.toBeNull();
    expect(await admin.keys.list({ tenantId: 'ten_sdk_admin', active: true })).toEqual([]);
    await caught(tenant.presets.list(), MediagateAuthenticationError);
    await caught(admin.keys.revoke('key_nope'), MediagateNotFoundError);

    const badTenant = await caught(admin.keys.create({ tenant_id: '-bad' }), MediagateError);
    expect(badTenant).toMatchObject({ status: 400, field: 'tenant_id' });
    // The tenant's key offered as the admin key is refused; so is an empty one, before any request.
    const asTenant = new MediagateAdmin({ baseURL, adminKey: created.key });
    await caught(asTenant.keys.list(), MediagateAuthenticationError);
    expect(() => new MediagateAdmin({ baseURL, adminKey: '' })).toThrow(/adminKey/);
  });

  it('lists, adds, disables and enables provider keys', async () => {
    const listed = await admin.providerKeys.list('simulated');
    expect(listed.map((key) => [key.id, key.pool, key.status])).toEqual(
      expect.arrayContaining([
        ['cfg', 'default', 'active'],
        ['ill', 'illustration', 'active'],
      ]),
    );
    const added = await admin.providerKeys.add('simulated', { id: 'sdk-added', secret: 'added-secret-value', pool: 'illustration', limits: { rpm: 30 } });
    expect(added).toMatchObject({ object: 'provider_key', provider: 'simulated', id: 'sdk-added', pool: 'illustration', source: 'admin', status: 'active', limits: { rpm: 30 } });
    expect(JSON.stringify(await admin.providerKeys.list('simulated'))).not.toContain('added-secret-value');
    const duplicate = await caught(admin.providerKeys.add('simulated', { id: 'sdk-added', secret: 'x' }), MediagateConflictError);
    expect(duplicate.field).toBe('id');
    const badPool = await caught(admin.providerKeys.add('simulated', { id: 'sdk-other', secret: 'x', pool: 'no pool!' }), MediagateError);
    expect(badPool).toMatchObject({ status: 400, field: 'pool', message: expect.stringContaining('letters, digits, _ . - starting with a letter') });

    expect((await admin.providerKeys.disable('simulated', 'sdk-added')).status).toBe('inactive');
    expect((await admin.providerKeys.enable('simulated', 'sdk-added')).status).toBe('active');
    const unknownProvider = await caught(admin.providerKeys.list('nobody'), MediagateNotFoundError);
    expect(unknownProvider.allowed).toEqual(expect.arrayContaining(['local', 'simulated']));
    await caught(admin.providerKeys.disable('simulated', 'no-such-key'), MediagateNotFoundError);
    await caught(admin.providerKeys.enable('simulated', 'no-such-key'), MediagateNotFoundError);
  });
});
