// The webhook outbox trigger and the webhook repository, on PGlite and on PostgreSQL: one message
// per job that ends (however it ends, batched or not), none for anything else, the job's URL over
// the tenant's, and the delivery log's writes, reads and tenant scoping.
import { newId, type GenerationRequest } from '@mediagate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './open.ts';
import type { NewJob, Repository } from './repository.ts';
import { openPostgresForTest, skipPostgres } from './test-support.ts';

const backends = [
  {
    name: 'pglite',
    async open() {
      const repository = await openDatabase({ dataDir: 'memory://' });
      return { repository, cleanup: () => repository.close() };
    },
  },
  ...(skipPostgres ? [] : [{ name: 'postgres', open: () => openPostgresForTest() }]),
];

function newJob(tenantId: string, request: Partial<GenerationRequest> = {}): NewJob {
  return {
    id: newId('job'),
    tenantId,
    kind: 'image',
    request: { kind: 'image', prompt: 'a harbour at noon', params: {}, ...request },
    targets: [{ provider: 'simulated', model: 'image' }],
  };
}

describe.each(backends)('webhook outbox on $name', (backend) => {
  let repository: Repository;
  let cleanup: (() => Promise<void>) | undefined;
  let tenant: string;

  beforeAll(async () => {
    ({ repository, cleanup } = await backend.open());
  }, 60_000);

  afterAll(async () => {
    await cleanup?.();
  });

  const fresh = async () => {
    tenant = newId('ten');
    await repository.ensureTenant(tenant, tenant);
    return tenant;
  };
  const complete = (jobId: string) => repository.completeJob(jobId, { provider: 'simulated', model: 'image', assets: [], actualCostUsd: 0.01 });
  const deliveries = async (tenantId: string) => repository.webhooks.listDeliveries({ tenantId, limit: 100 });

  it('writes nothing for a tenant without an endpoint and a job without webhook_url', async () => {
    const tenantId = await fresh();
    const { job } = await repository.createJob(newJob(tenantId));
    expect(await complete(job.id)).toBeDefined();
    expect(await deliveries(tenantId)).toEqual([]);
  });

  it('writes one message when a job ends, and none for the transitions before or the attempts after', async () => {
    const tenantId = await fresh();
    await repository.webhooks.setEndpointUrl(tenantId, 'https://hooks.example.com/mediagate', 'sealed');
    const { job } = await repository.createJob(newJob(tenantId));
    await repository.claimJob({ attemptId: newId('att'), jobId: job.id, targetIndex: 0, provider: 'simulated', model: 'image', keyId: null });
    await repository.appendEvent(job.id, 'progress', { progress: 50 }, { progress: 50 });
    expect(await deliveries(tenantId)).toEqual([]);
    await complete(job.id);
    expect(await repository.failJob(job.id, { class: 'server', message: 'late' })).toBeUndefined();
    expect(await repository.cancelJob(job.id)).toBeUndefined();
    const [message, ...rest] = await deliveries(tenantId);
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      id: `msg_${job.id}`,
      tenantId,
      jobId: job.id,
      eventType: 'job.succeeded',
      url: 'https://hooks.example.com/mediagate',
      status: 'pending',
      attempts: 0,
      attemptLog: [],
      payload: null,
      enqueuedAt: null,
    });
    expect(message?.nextAttemptAt).toBeInstanceOf(Date);
  });

  it('names failed and canceled jobs, and batched completions get one message each', async () => {
    const tenantId = await fresh();
    await repository.webhooks.setEndpointUrl(tenantId, 'https://hooks.example.com/a', 'sealed');
    const failing = (await repository.createJob(newJob(tenantId))).job;
    const canceling = (await repository.createJob(newJob(tenantId))).job;
    await repository.failJob(failing.id, { class: 'invalid_input', message: 'no' });
    await repository.cancelJob(canceling.id, tenantId);
    const batch = await Promise.all(Array.from({ length: 6 }, () => repository.createJob(newJob(tenantId))));
    await Promise.all(batch.map(({ job }) => complete(job.id)));
    const byJob = new Map((await deliveries(tenantId)).map((delivery) => [delivery.jobId, delivery.eventType]));
    expect(byJob.size).toBe(8);
    expect(byJob.get(failing.id)).toBe('job.failed');
    expect(byJob.get(canceling.id)).toBe('job.canceled');
    for (const { job } of batch) expect(byJob.get(job.id)).toBe('job.succeeded');
  });

  it("prefers the job's webhook_url, and skips a disabled endpoint", async () => {
    const tenantId = await fresh();
    await repository.webhooks.setEndpointUrl(tenantId, 'https://hooks.example.com/tenant', 'sealed');
    const own = (await repository.createJob(newJob(tenantId, { webhook_url: 'https://own.example.com/x?y=1' }))).job;
    await complete(own.id);
    await repository.webhooks.disableEndpoint(tenantId, 'https://hooks.example.com/tenant', 'answered 410');
    const plain = (await repository.createJob(newJob(tenantId))).job;
    const ownAgain = (await repository.createJob(newJob(tenantId, { webhook_url: 'https://own.example.com/z' }))).job;
    await complete(plain.id);
    await complete(ownAgain.id);
    const urls = new Map((await deliveries(tenantId)).map((delivery) => [delivery.jobId, delivery.url]));
    expect(urls.get(own.id)).toBe('https://own.example.com/x?y=1');
    expect(urls.has(plain.id)).toBe(false);
    expect(urls.get(ownAgain.id)).toBe('https://own.example.com/z');
    // Setting the URL again enables it.
    const { endpoint, created } = await repository.webhooks.setEndpointUrl(tenantId, 'https://hooks.example.com/tenant', 'other');
    expect(created).toBe(false);
    expect(endpoint).toMatchObject({ disabledAt: null, disabledReason: null, secretSealed: 'sealed' });
  });

  it('records attempts on pending messages only, and relays each message until it is enqueued', async () => {
    const tenantId = await fresh();
    await repository.webhooks.setEndpointUrl(tenantId, 'https://hooks.example.com/b', 'sealed');
    const { job } = await repository.createJob(newJob(tenantId));
    await complete(job.id);
    const id = `msg_${job.id}`;
    expect((await repository.webhooks.listUnqueued(1000, 600_000)).map((row) => row.id)).toContain(id);
    await repository.webhooks.markEnqueued([id]);
    expect((await repository.webhooks.listUnqueued(1000, 600_000)).map((row) => row.id)).not.toContain(id);

    expect(await repository.webhooks.fixPayload(id, '{"a":1}')).toBe('{"a":1}');
    expect(await repository.webhooks.fixPayload(id, '{"b":2}')).toBe('{"a":1}');
    const retryAt = new Date(Date.now() + 5000);
    const first = { at: new Date().toISOString(), statusCode: 500, latencyMs: 12, error: 'HTTP 500' };
    expect(await repository.webhooks.recordAttempt(id, first, { status: 'pending', nextAttemptAt: retryAt })).toBe(true);
    const second = { at: new Date().toISOString(), statusCode: 204, latencyMs: 8, error: null };
    expect(await repository.webhooks.recordAttempt(id, second, { status: 'delivered', nextAttemptAt: null })).toBe(true);
    expect(await repository.webhooks.recordAttempt(id, second, { status: 'delivered', nextAttemptAt: null })).toBe(false);
    const done = await repository.webhooks.getDelivery(id);
    expect(done).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 204, lastError: null, nextAttemptAt: null, attemptLog: [first, second] });
    expect(done?.finishedAt).toBeInstanceOf(Date);
  });

  it('scopes reads to the tenant and pages newest first', async () => {
    const tenantId = await fresh();
    const otherTenant = newId('ten');
    await repository.webhooks.setEndpointUrl(tenantId, 'https://hooks.example.com/c', 'sealed');
    const jobs = [];
    for (let index = 0; index < 3; index++) jobs.push((await repository.createJob(newJob(tenantId))).job);
    for (const job of jobs) await complete(job.id);
    const ids = jobs.map((job) => `msg_${job.id}`).reverse();
    expect((await repository.webhooks.listDeliveries({ tenantId, limit: 2 })).map((row) => row.id)).toEqual(ids.slice(0, 2));
    expect((await repository.webhooks.listDeliveries({ tenantId, limit: 2, before: ids[1] })).map((row) => row.id)).toEqual(ids.slice(2));
    expect((await repository.webhooks.listDeliveries({ tenantId, limit: 9, jobId: jobs[0]?.id })).map((row) => row.id)).toEqual([ids[2]]);
    expect(await repository.webhooks.listDeliveries({ tenantId, limit: 9, status: 'failed' })).toEqual([]);
    expect(await repository.webhooks.listDeliveries({ tenantId: otherTenant, limit: 9 })).toEqual([]);
    expect(await repository.webhooks.getDelivery(ids[0] ?? '', otherTenant)).toBeUndefined();
    expect(await repository.webhooks.getEndpoint(otherTenant)).toBeUndefined();
  });

  it('keeps the replaced secret only while its grace period lasts', async () => {
    const tenantId = await fresh();
    const first = await repository.webhooks.rotateSecret(tenantId, 'one', new Date(Date.now() + 60_000));
    expect(first).toMatchObject({ url: null, secretSealed: 'one', previousSecretSealed: null });
    const later = new Date(Date.now() + 60_000);
    const second = await repository.webhooks.rotateSecret(tenantId, 'two', later);
    expect(second).toMatchObject({ secretSealed: 'two', previousSecretSealed: 'one', previousSecretExpiresAt: later });
    const third = await repository.webhooks.rotateSecret(tenantId, 'three', new Date(Date.now() - 1));
    expect(third).toMatchObject({ secretSealed: 'three', previousSecretSealed: null, previousSecretExpiresAt: null });
    expect((await repository.webhooks.clearEndpointUrl(tenantId))?.secretSealed).toBe('three');
  });
});
