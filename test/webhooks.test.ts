// Webhook delivery end to end: jobs run by real workers, messages relayed from the database outbox
// through the BullMQ delivery queue to a real receiver on 127.0.0.1, signatures checked with the
// independent `standardwebhooks` package, retries with backoff, 410, refused URLs, exactly once.
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@mediagate/core';
import type { WebhookDeliveryRecord } from '@mediagate/db';
import {
  cancelJob,
  defaultTenantId,
  rotateWebhookSecret,
  setWebhookEndpoint,
  startWebhookDelivery,
  submitJob,
} from '@mediagate/engine';
import { startWorkers } from '@mediagate/worker';
import { createHarness, type Harness } from './support/harness.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const retryDelaysMs = [150, 300];

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('webhooks', () => {
  let harness: Harness;
  let receiver: WebhookReceiver;
  let secret: string;

  beforeAll(async () => {
    harness = await createHarness({
      // Loopback receivers are reachable only because the allowlist says so (as MEDIAGATE_FETCH_ALLOW would).
      settings: { fetchAllow: ['127.0.0.1'], webhooks: { retryDelaysMs, timeoutMs: 2000, pollMs: 40, concurrency: 4 } },
    });
    receiver = await startWebhookReceiver();
    const { view } = await setWebhookEndpoint(harness.runtime, defaultTenantId, `${receiver.url}/tenant`);
    secret = view.secret ?? '';
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await receiver?.close();
  });

  afterEach(async () => {
    // Every test leaves the tenant endpoint pointing at the shared receiver, enabled.
    await setWebhookEndpoint(harness.runtime, defaultTenantId, `${receiver.url}/tenant`);
  });

  const delivery = (jobId: string) => harness.runtime.repo.webhooks.getDelivery(`msg_${jobId}`);
  const finished = (jobId: string, timeoutMs?: number) =>
    until<WebhookDeliveryRecord>(
      `the delivery of ${jobId} to finish`,
      async () => {
        const found = await delivery(jobId);
        return found && found.status !== 'pending' ? found : undefined;
      },
      timeoutMs,
    );
  const receivedFor = (jobId: string) => receiver.received.filter((hit) => hit.headers['webhook-id'] === `msg_${jobId}`);

  it('sends one signed job.succeeded message that an independent Standard Webhooks verifier accepts', async () => {
    const job = await harness.submit({ kind: 'image', prompt: 'signed', model: 'simulated/image' });
    await harness.waitFor(job.id);
    const done = await finished(job.id);
    expect(done.status).toBe('delivered');
    const [hit] = receivedFor(job.id);
    expect(receivedFor(job.id)).toHaveLength(1);
    if (hit === undefined) throw new Error('no request arrived');
    expect(hit.path).toBe('/tenant');
    expect(hit.headers['content-type']).toBe('application/json');
    expect(Number(hit.headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60);

    const verified = new Webhook(secret).verify(hit.body, {
      'webhook-id': String(hit.headers['webhook-id']),
      'webhook-timestamp': String(hit.headers['webhook-timestamp']),
      'webhook-signature': String(hit.headers['webhook-signature']),
    }) as { type: string; timestamp: string; data: { id: string; status: string; outputs: { id: string; url: string }[]; attempts: unknown[] } };
    expect(verified.type).toBe('job.succeeded');
    expect(verified.data.id).toBe(job.id);
    expect(verified.data.status).toBe('succeeded');
    expect(verified.data.outputs).toHaveLength(1);
    expect(verified.data.outputs[0]?.url).toBe(`/v1/assets/${verified.data.outputs[0]?.id}/content`);
    expect(verified.data.attempts).toHaveLength(1);
    const stored = await harness.runtime.repo.getJob(job.id);
    expect(verified.timestamp).toBe(stored?.finishedAt?.toISOString());

    // A body altered by one byte, or signed with another secret, does not verify.
    expect(() =>
      new Webhook(secret).verify(hit.body.replace('succeeded', 'succeedeD'), {
        'webhook-id': String(hit.headers['webhook-id']),
        'webhook-timestamp': String(hit.headers['webhook-timestamp']),
        'webhook-signature': String(hit.headers['webhook-signature']),
      }),
    ).toThrow();
    expect(done.attemptLog).toEqual([{ at: expect.any(String), statusCode: 200, latencyMs: expect.any(Number), error: null }]);
  });

  it('retries with growing delays until the receiver answers 2xx, with the same id and body each time', async () => {
    receiver.script(500, { status: 503, retryAfter: 0 });
    const job = await harness.submit({ kind: 'image', prompt: 'flaky receiver', model: 'simulated/image' });
    const done = await finished(job.id);
    expect(done.status).toBe('delivered');
    expect(done.attempts).toBe(3);
    expect(done.attemptLog.map((attempt) => attempt.statusCode)).toEqual([500, 503, 200]);
    expect(done.attemptLog[0]?.error).toBe('HTTP 500: refused with 500');
    const hits = receivedFor(job.id);
    expect(hits).toHaveLength(3);
    expect(new Set(hits.map((hit) => hit.body)).size).toBe(1);
    for (const hit of hits) {
      expect(() =>
        new Webhook(secret).verify(hit.body, {
          'webhook-id': String(hit.headers['webhook-id']),
          'webhook-timestamp': String(hit.headers['webhook-timestamp']),
          'webhook-signature': String(hit.headers['webhook-signature']),
        }),
      ).not.toThrow();
    }
    // Each wait is at least its scheduled delay (jitter only lengthens it).
    const [first, second, third] = hits.map((hit) => hit.at) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(retryDelaysMs[0]! - 5);
    expect(third - second).toBeGreaterThanOrEqual(retryDelaysMs[1]! - 5);
  });

  it('bounds an attempt by the timeout and does not follow redirects', async () => {
    receiver.script({ status: 200, delayMs: 3000 }, 302, { status: 429, retryAfter: 1 });
    const job = await harness.submit({ kind: 'image', prompt: 'slow receiver', model: 'simulated/image' });
    // The timeout is 2 s (the receiver would answer at 3 s) and the schedule has two retries: timeout, 302, then 429 is the last attempt.
    const done = await finished(job.id);
    expect(done.attemptLog.map((attempt) => attempt.statusCode)).toEqual([null, 302, 429]);
    expect(done.attemptLog[0]?.error).toMatch(/within 2000 ms/);
    expect(done.attemptLog[0]?.latencyMs).toBeGreaterThanOrEqual(1900);
    expect(done.status).toBe('failed');
    const hits = receivedFor(job.id);
    expect(hits.map((hit) => hit.path)).toEqual(['/tenant', '/tenant', '/tenant']);
  });

  it('never retries sooner than Retry-After', async () => {
    receiver.script({ status: 503, retryAfter: 1 });
    const job = await harness.submit({ kind: 'image', prompt: 'busy receiver', model: 'simulated/image' });
    const done = await finished(job.id);
    expect(done.status).toBe('delivered');
    const [first, second] = receivedFor(job.id).map((hit) => hit.at) as [number, number];
    expect(second - first).toBeGreaterThanOrEqual(995);
  });

  it('gives up after the last scheduled retry and logs every attempt', async () => {
    receiver.script(500, 502, 504);
    const job = await harness.submit({ kind: 'image', prompt: 'receiver down', model: 'simulated/image' });
    const done = await finished(job.id);
    expect(done.status).toBe('failed');
    expect(done.attemptLog.map((attempt) => attempt.statusCode)).toEqual([500, 502, 504]);
    expect(done.lastStatusCode).toBe(504);
    expect(done.nextAttemptAt).toBeNull();
    expect(receivedFor(job.id)).toHaveLength(3);
  });

  it('stops at 410 Gone and disables the tenant endpoint until it is set again', async () => {
    // A receiver of its own: a message still retrying from an earlier test must not take the 410.
    const gone = await startWebhookReceiver();
    try {
      await setWebhookEndpoint(harness.runtime, defaultTenantId, `${gone.url}/tenant`);
      gone.script(410);
      const job = await harness.submit({ kind: 'image', prompt: 'gone', model: 'simulated/image' });
      const done = await finished(job.id);
      expect(done.status).toBe('stopped');
      expect(done.attempts).toBe(1);
      const endpoint = await harness.runtime.repo.webhooks.getEndpoint(defaultTenantId);
      expect(endpoint?.disabledAt).toBeInstanceOf(Date);
      expect(endpoint?.disabledReason).toMatch(/410 Gone/);

      const after = await harness.submit({ kind: 'image', prompt: 'after gone', model: 'simulated/image' });
      await harness.waitFor(after.id);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await delivery(after.id)).toBeUndefined();
      expect(gone.received.filter((hit) => hit.headers['webhook-id'] === `msg_${job.id}`)).toHaveLength(1);
    } finally {
      await gone.close();
    }
  });

  it("sends to the job's own webhook_url instead of the tenant's", async () => {
    const other = await startWebhookReceiver();
    try {
      const job = await harness.submit({ kind: 'image', prompt: 'own url', model: 'simulated/image', webhook_url: `${other.url}/job?x=1` });
      const done = await finished(job.id);
      expect(done.status).toBe('delivered');
      expect(done.url).toBe(`${other.url}/job?x=1`);
      expect(other.received.map((hit) => hit.path)).toEqual(['/job?x=1']);
      expect(receivedFor(job.id)).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('refuses an obviously private webhook_url at submit, and nothing is written', async () => {
    const before = await harness.runtime.repo.countJobs();
    for (const url of ['http://10.1.2.3/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:8080/', 'http://localhost:9/x', 'http://user:pw@example.com/']) {
      const refused = await submitJob(harness.runtime, defaultTenantId, { kind: 'image', prompt: 'x', model: 'simulated/image', webhook_url: url }).catch(
        (error: unknown) => error,
      );
      expect(refused, url).toBeInstanceOf(InputError);
      expect((refused as InputError).field).toBe('webhook_url');
      expect((refused as InputError).code).toBe('url_not_allowed');
      expect((refused as InputError).status).toBe(400);
    }
    expect(await harness.runtime.repo.countJobs()).toEqual(before);
  });

  it('logs a failed delivery without retrying when the guard refuses the URL at delivery time', async () => {
    // An endpoint stored before the allowlist changed: the guard decides again at every send.
    await harness.runtime.repo.webhooks.setEndpointUrl(defaultTenantId, 'http://169.254.169.254/hook', 'unused');
    const job = await harness.submit({ kind: 'image', prompt: 'metadata', model: 'simulated/image' });
    const done = await finished(job.id);
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.attemptLog[0]?.statusCode).toBeNull();
    expect(done.lastError).toMatch(/refusing http:\/\/169\.254\.169\.254\/hook: 169\.254\.169\.254 is/);
  });

  it('ends a message failed when its job is deleted before delivery, keeping none of its data', async () => {
    receiver.script({ status: 503, retryAfter: 3 });
    const job = await harness.submit({ kind: 'image', prompt: 'deleted soon', model: 'simulated/image' });
    await until('the first attempt', async () => ((await delivery(job.id))?.attempts === 1 ? true : undefined));
    expect((await delivery(job.id))?.payload).toContain(job.id);
    await harness.runtime.repo.deleteJob(job.id, defaultTenantId);
    expect((await delivery(job.id))?.payload).toBeNull();
    const done = await finished(job.id, 20_000);
    expect(done.status).toBe('failed');
    expect(done.lastError).toBe('the job was deleted before its webhook could be sent');
    expect(done.attempts).toBe(1);
    expect(receivedFor(job.id)).toHaveLength(1);
  });

  it('sends nothing while a job runs, then exactly one message for its terminal state', async () => {
    const job = await harness.submit({
      kind: 'image',
      prompt: 'slow',
      model: 'simulated/image-async',
      params: { simulate: { latency_ms: 800, progress_steps: 4 } },
    });
    await until('the job to run', async () => ((await harness.runtime.repo.getJob(job.id))?.status === 'running' ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await delivery(job.id)).toBeUndefined();
    expect(receivedFor(job.id)).toHaveLength(0);
    await harness.waitFor(job.id);
    await finished(job.id);
    const events = await harness.events(job.id);
    expect(events.filter((event) => event.type === 'progress').length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receivedFor(job.id)).toHaveLength(1);
  });

  it('reports failed and canceled jobs as job.failed and job.canceled, once each', async () => {
    const failing = await harness.submit({
      kind: 'image',
      prompt: 'refused',
      model: 'simulated/image',
      params: { simulate: { fault: 'content_policy' } },
    });
    const canceling = await harness.submit({
      kind: 'image',
      prompt: 'cancel me',
      model: 'simulated/image-async',
      params: { simulate: { latency_ms: 5000 } },
    });
    await until('the job to run', async () => ((await harness.runtime.repo.getJob(canceling.id))?.status === 'running' ? true : undefined));
    await cancelJob(harness.runtime, canceling.id, defaultTenantId);
    // Canceling again changes nothing and must not send a second message.
    await cancelJob(harness.runtime, canceling.id, defaultTenantId);
    const failed = await finished(failing.id);
    const canceled = await finished(canceling.id);
    expect([failed.eventType, canceled.eventType]).toEqual(['job.failed', 'job.canceled']);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const [failedHit] = receivedFor(failing.id);
    const [canceledHit] = receivedFor(canceling.id);
    expect(receivedFor(failing.id)).toHaveLength(1);
    expect(receivedFor(canceling.id)).toHaveLength(1);
    expect(JSON.parse(failedHit?.body ?? '{}')).toMatchObject({ type: 'job.failed', data: { id: failing.id, status: 'failed', error: { class: 'content_policy' } } });
    expect(JSON.parse(canceledHit?.body ?? '{}')).toMatchObject({ type: 'job.canceled', data: { id: canceling.id, status: 'canceled' } });
  });

  it('delivers each of many jobs exactly once even when relays run again and again', async () => {
    const jobs = await Promise.all(
      Array.from({ length: 8 }, (_, index) => harness.submit({ kind: 'image', prompt: `burst ${index}`, model: 'simulated/image' })),
    );
    // A second process's relay working the same outbox at the same time.
    const second = await startWebhookDelivery(harness.runtime);
    try {
      for (let pass = 0; pass < 5; pass++) await second.relay();
      for (const job of jobs) expect((await finished(job.id)).status).toBe('delivered');
      for (let pass = 0; pass < 3; pass++) await second.relay();
    } finally {
      await second.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    for (const job of jobs) expect(receivedFor(job.id), job.id).toHaveLength(1);
    const ids = new Set(jobs.flatMap((job) => receivedFor(job.id).map((hit) => String(hit.headers['webhook-id']))));
    expect(ids.size).toBe(jobs.length);
  });

  it('signs with both secrets for a while after a rotation', async () => {
    const rotated = await rotateWebhookSecret(harness.runtime, defaultTenantId, 60_000);
    const fresh = rotated.secret ?? '';
    expect(fresh).not.toBe(secret);
    try {
      const job = await harness.submit({ kind: 'image', prompt: 'rotated', model: 'simulated/image' });
      await finished(job.id);
      const [hit] = receivedFor(job.id);
      const headers = {
        'webhook-id': String(hit?.headers['webhook-id']),
        'webhook-timestamp': String(hit?.headers['webhook-timestamp']),
        'webhook-signature': String(hit?.headers['webhook-signature']),
      };
      expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
      expect(() => new Webhook(fresh).verify(hit?.body ?? '', headers)).not.toThrow();
      expect(() => new Webhook(secret).verify(hit?.body ?? '', headers)).not.toThrow();
    } finally {
      secret = fresh;
    }
  });
});

describe('webhook outbox', () => {
  it('keeps a message written with the terminal state until a worker starts, then delivers it', async () => {
    const harness = await createHarness({
      workers: false,
      settings: { fetchAllow: ['127.0.0.1'], webhooks: { retryDelaysMs: [100], timeoutMs: 2000, pollMs: 40, concurrency: 2 } },
    });
    const receiver = await startWebhookReceiver();
    try {
      await setWebhookEndpoint(harness.runtime, defaultTenantId, receiver.url);
      const job = await harness.submit({ kind: 'image', prompt: 'no worker yet', model: 'simulated/image' });
      // No worker runs: the job is canceled by the API process alone, and the message is recorded with it.
      await cancelJob(harness.runtime, job.id, defaultTenantId);
      const pending = await harness.runtime.repo.webhooks.getDelivery(`msg_${job.id}`);
      expect(pending).toMatchObject({ status: 'pending', attempts: 0, eventType: 'job.canceled', enqueuedAt: null });
      const fleet = await startWorkers(harness.runtime, { providers: [] });
      try {
        await until('delivery', () => (receiver.received.length > 0 ? true : undefined));
        expect(receiver.received).toHaveLength(1);
        expect(JSON.parse(receiver.received[0]?.body ?? '{}')).toMatchObject({ type: 'job.canceled', data: { id: job.id } });
      } finally {
        await fleet.close();
      }
    } finally {
      await receiver.close();
      await harness.close();
    }
  }, 60_000);
});
