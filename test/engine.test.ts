// The attempt runner end to end on real Redis + PGlite against the simulated provider: retries,
// fault classification, fallback, keys, cancel and never-pay-twice bookkeeping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { InputError, ProviderError } from '@mediagate/core';
import { createSimulatedProvider } from '@mediagate/providers';
import { createHarness, type Harness } from './support/harness.ts';

let harness: Harness;
let counter = 0;
const unique = (label: string) => `${label} #${++counter} ${Date.now()}`;

beforeAll(async () => {
  harness = await createHarness({ attemptTimeoutMs: 1500 });
});
afterAll(async () => {
  await harness?.close();
});

async function outputBytes(jobId: string) {
  const [asset] = await harness.runtime.repo.listJobAssets(jobId);
  expect(asset).toBeDefined();
  return { asset: asset!, bytes: await readFile(await harness.runtime.store.localPath(asset!.storageKey)) };
}

describe('simulated provider through the runner', () => {
  it('stores a verified image with exactly one submit', async () => {
    const prompt = unique('a red fox');
    const job = await harness.submit({ kind: 'image', prompt, model: 'simulated/image', params: { width: 320, height: 200 } });
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.provider).toBe('simulated');
    expect(harness.simulated.stats().byPrompt[prompt]).toBe(1);
    const { asset, bytes } = await outputBytes(job.id);
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 320, 200]);
    expect(asset.mime).toBe('image/png');
    expect(done.actualCostUsd).toBeGreaterThan(0);
    const types = (await harness.events(job.id)).map((event) => event.type);
    expect(types).toEqual(['queued', 'attempt', 'succeeded']);
  });

  it('polls an async operation with progress and downloads its output', async () => {
    const prompt = unique('async');
    const job = await harness.submit({
      kind: 'image',
      prompt,
      model: 'simulated/image-async',
      params: { simulate: { latency_ms: 400, progress_steps: 4 } },
    });
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    const events = await harness.events(job.id);
    expect(events.map((event) => event.type)).toContain('submitted');
    expect(events.some((event) => event.type === 'progress')).toBe(true);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    const [attempt] = await harness.runtime.repo.listAttempts(job.id);
    expect(attempt?.operation).toMatchObject({ id: expect.any(String) });
    expect(harness.simulated.stats().byPrompt[prompt]).toBe(1);
  });

  it('retries a 500 with backoff and then succeeds', async () => {
    const prompt = unique('flaky');
    const job = await harness.submit({ kind: 'image', prompt, model: 'simulated/image', params: { simulate: { fault: '500', fault_times: 2 } } });
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    const attempts = await harness.runtime.repo.listAttempts(job.id);
    expect(attempts.map((attempt) => attempt.status)).toEqual(['failed', 'failed', 'succeeded']);
    expect(attempts[0]?.error?.class).toBe('server');
    expect((await harness.events(job.id)).filter((event) => event.type === 'retrying')).toHaveLength(2);
  });

  const terminalFaults = [
    { fault: 'timeout', errorClass: 'timeout', submits: 3 },
    { fault: 'malformed', errorClass: 'malformed', submits: 3 },
    { fault: 'truncated', errorClass: 'network', submits: 3 },
    { fault: 'content_policy', errorClass: 'content_policy', submits: 1 },
    { fault: 'auth', errorClass: 'auth', submits: 1 },
    { fault: '500', errorClass: 'server', submits: 3 },
  ];
  for (const { fault, errorClass, submits } of terminalFaults) {
    it(`classifies a persistent "${fault}" fault as ${errorClass} and stops after ${submits} submit(s)`, async () => {
      const prompt = unique(`fault ${fault}`);
      const job = await harness.submit({ kind: 'image', prompt, model: 'simulated/image', params: { simulate: { fault } } });
      const done = await harness.waitFor(job.id);
      expect(done.status).toBe('failed');
      expect(done.error?.class).toBe(errorClass);
      expect(harness.simulated.stats().byPrompt[prompt]).toBe(submits);
      expect(await harness.runtime.repo.listJobAssets(job.id)).toEqual([]);
    });
  }

  it('fails an async operation that the provider ends as failed, without placeholder output', async () => {
    const job = await harness.submit({ kind: 'image', prompt: unique('async fail'), model: 'simulated/image-async', params: { simulate: { fault: 'content_policy_async' } } });
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('failed');
    expect(done.error?.class).toBe('content_policy');
    expect(await harness.runtime.repo.listJobAssets(job.id)).toEqual([]);
  });

  it('treats a 429 as no failed attempt: waits Retry-After and succeeds', async () => {
    const prompt = unique('limited');
    const job = await harness.submit({ kind: 'image', prompt, model: 'simulated/image', params: { simulate: { fault: 'rate_limit', fault_times: 3 } } });
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    const attempts = await harness.runtime.repo.listAttempts(job.id);
    expect(attempts.filter((attempt) => attempt.status === 'rate_limited')).toHaveLength(3);
    // Three 429s and three attempts allowed: had they counted, the job would have failed.
    expect(done.attemptCount).toBe(0);
  });

  it('falls back to the next target after the retries run out, and says which one served', async () => {
    const prompt = unique('fallback');
    const job = await harness.submit({
      kind: 'image',
      prompt,
      model: 'simulated/image',
      fallbacks: ['simulated/image-async'],
      params: { simulate: { fault: '500', fault_times: 3 } },
    });
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    expect([done.provider, done.model]).toEqual(['simulated', 'image-async']);
    const fallback = (await harness.events(job.id)).find((event) => event.type === 'fallback');
    expect(fallback?.data).toMatchObject({ from: 'simulated/image', to: 'simulated/image-async' });
    expect(harness.simulated.stats().byPrompt[prompt]).toBe(4);
  });

  it('refuses a request a fallback target cannot honor, enqueuing nothing', async () => {
    const before = await harness.runtime.repo.countJobs();
    await expect(
      harness.submit({ kind: 'image', prompt: 'x', model: 'simulated/image', fallbacks: ['local/card'], params: { simulate: { fault: '500' } } }),
    ).rejects.toThrow(/params.simulate: not supported by local\/card/);
    expect(await harness.runtime.repo.countJobs()).toEqual(before);
  });

  it('rejects unknown providers and models naming the field and the choices', async () => {
    await expect(harness.submit({ kind: 'image', prompt: 'x', model: 'opnai/gpt-image-1' })).rejects.toMatchObject({
      field: 'model',
      message: expect.stringContaining('available: local, simulated'),
    });
    await expect(harness.submit({ kind: 'image', prompt: 'x', model: 'local/cards' })).rejects.toBeInstanceOf(InputError);
    await expect(harness.submit({ kind: 'video', prompt: 'x', model: 'local/card' })).rejects.toMatchObject({ field: 'model' });
  });
});

describe('cancel', () => {
  it('cancels a queued job before any worker sees it', async () => {
    const idle = await createHarness({ workers: false });
    try {
      const job = await idle.submit({ kind: 'image', prompt: 'never runs', model: 'simulated/image' });
      const { cancelJob } = await import('@mediagate/engine');
      const canceled = await cancelJob(idle.runtime, job.id);
      expect(canceled?.status).toBe('canceled');
      expect(await idle.runtime.queues.queue('simulated').getJobCounts('waiting', 'delayed', 'prioritized')).toEqual({ waiting: 0, delayed: 0, prioritized: 0 });
    } finally {
      await idle.close();
    }
  });

  it('cancels a running async job at the provider', async () => {
    const { cancelJob } = await import('@mediagate/engine');
    const job = await harness.submit({ kind: 'video', prompt: unique('long video'), model: 'simulated/video', params: { duration: 2, simulate: { latency_ms: 20_000 } } });
    for (let i = 0; i < 200 && !(await harness.events(job.id)).some((event) => event.type === 'submitted'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const cancelsBefore = harness.simulated.stats().cancels;
    await cancelJob(harness.runtime, job.id);
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('canceled');
    for (let i = 0; i < 100 && harness.simulated.stats().cancels === cancelsBefore; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(harness.simulated.stats().cancels).toBe(cancelsBefore + 1);
    const [attempt] = await harness.runtime.repo.listAttempts(job.id);
    expect(attempt?.status).toBe('canceled');
  });
});

describe('an async job whose status checks fail', () => {
  it('polls the stored handle again instead of paying for a second submit', async () => {
    const inner = createSimulatedProvider({ baseURL: harness.simulated.url, pollIntervalMs: 25 });
    const innerPoll = inner.poll?.bind(inner);
    if (innerPoll === undefined) throw new Error('the simulated provider polls');
    let polls = 0;
    const flaky = await createHarness({
      // Its outputs come from the outer harness's simulated server, which this runtime must allow.
      settings: { fetchAllow: [new URL(harness.simulated.url).host] },
      extraProviders: [
        {
          ...inner,
          id: 'flaky',
          async poll(operation, ctx) {
            polls += 1;
            // The status endpoint breaks twice mid-way: a 503 and a dropped connection.
            if (polls === 2) throw new ProviderError('server', 'status check answered 503', { status: 503 });
            if (polls === 3) throw new ProviderError('network', 'status check: ECONNRESET');
            return innerPoll(operation, ctx);
          },
        },
      ],
    });
    try {
      const prompt = unique('flaky polls');
      const job = await flaky.submit({ kind: 'image', prompt, model: 'flaky/image-async', params: { simulate: { latency_ms: 300 } } });
      const done = await flaky.waitFor(job.id);
      expect(done.status).toBe('succeeded');
      expect(harness.simulated.stats().byPrompt[prompt]).toBe(1);
      const attempts = await flaky.runtime.repo.listAttempts(job.id);
      expect(attempts.map((attempt) => attempt.status)).toEqual(['succeeded']);
      const retries = (await flaky.events(job.id)).filter((event) => event.type === 'retrying');
      expect(retries.map((event) => event.data.phase)).toEqual(['poll', 'poll']);
    } finally {
      await flaky.close();
    }
  });
});

describe('queues', () => {
  it('are named after the database, so installations sharing a Redis never mix', async () => {
    const named = await createHarness({ workers: false, settings: { queuePrefix: '' } });
    try {
      expect(named.runtime.settings.queuePrefix).toBe(`mediagate-${await named.runtime.repo.instanceId()}`);
      expect(named.runtime.settings.queuePrefix).not.toBe(harness.runtime.settings.queuePrefix);
    } finally {
      await named.close();
    }
  });
});

describe('failures inside Mediagate', () => {
  it('fail the job loudly instead of leaving it running or retrying the provider', async () => {
    const { cardModel } = await import('../packages/providers/src/local/card/index.ts');
    let submits = 0;
    const broken = await createHarness({
      extraProviders: [
        {
          id: 'broken',
          displayName: 'throws a plain error',
          requiresKey: false,
          paid: true,
          models: [cardModel],
          defaultConcurrency: 1,
          attemptTimeoutMs: 5000,
          async submit() {
            submits += 1;
            throw new TypeError('adapter bug');
          },
        },
      ],
    });
    try {
      const job = await broken.submit({ kind: 'image', prompt: 'x', model: 'broken/card' });
      const done = await broken.waitFor(job.id);
      expect(done.status).toBe('failed');
      expect(done.error).toEqual({ class: 'internal', message: 'adapter bug' });
      expect(submits).toBe(1);
      expect((await broken.runtime.repo.listAttempts(job.id)).map((attempt) => attempt.status)).toEqual(['failed']);
    } finally {
      await broken.close();
    }
  });
});

describe('a cancel whose live message never arrives', () => {
  it('is noticed by the polling worker, which stops the work at the provider', async () => {
    const job = await harness.submit({ kind: 'video', prompt: unique('missed cancel'), model: 'simulated/video', params: { duration: 2, simulate: { latency_ms: 20_000 } } });
    for (let i = 0; i < 200 && !(await harness.events(job.id)).some((event) => event.type === 'submitted'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const cancelsBefore = harness.simulated.stats().cancels;
    // Straight to the database: no message on the cancel channel.
    await harness.runtime.repo.cancelJob(job.id);
    for (let i = 0; i < 200 && harness.simulated.stats().cancels === cancelsBefore; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(harness.simulated.stats().cancels).toBe(cancelsBefore + 1);
    // The attempt is closed right after the provider's cancel answers.
    let status: string | undefined;
    for (let i = 0; i < 100 && status !== 'canceled'; i++) {
      status = (await harness.runtime.repo.listAttempts(job.id))[0]?.status;
      if (status !== 'canceled') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe('canceled');
  });
});

describe('keys', () => {
  it('disables a rejected key, rotates to the next and records key ids only', async () => {
    const keyed = await createHarness({
      simulated: { keys: { 'good-secret': { rpm: 1000 } } },
      keys: { simulated: [{ id: 'revoked', secret: 'bad-secret' }, { id: 'good', secret: 'good-secret' }] },
    });
    try {
      const first = await keyed.submit({ kind: 'image', prompt: unique('keys'), model: 'simulated/image' });
      const second = await keyed.submit({ kind: 'image', prompt: unique('keys'), model: 'simulated/image' });
      for (const job of [first, second]) expect((await keyed.waitFor(job.id)).status).toBe('succeeded');
      const attempts = [...(await keyed.runtime.repo.listAttempts(first.id)), ...(await keyed.runtime.repo.listAttempts(second.id))];
      expect(attempts.filter((attempt) => attempt.status === 'succeeded').every((attempt) => attempt.keyId === 'good')).toBe(true);
      expect(await keyed.runtime.keys.describe('simulated')).toMatchObject([
        { id: 'revoked', status: 'error' },
        { id: 'good', status: 'active' },
      ]);
      expect(JSON.stringify(attempts)).not.toContain('secret');
    } finally {
      await keyed.close();
    }
  });

  it('falls back to another provider when every key is rejected', async () => {
    const keyed = await createHarness({
      simulated: { keys: { 'only-valid': {} } },
      keys: { simulated: [{ id: 'k1', secret: 'wrong' }] },
    });
    try {
      const job = await keyed.submit({ kind: 'image', prompt: unique('all keys bad'), model: 'simulated/image', fallbacks: ['local/card'] });
      const done = await keyed.waitFor(job.id);
      expect(done.status).toBe('succeeded');
      expect(done.provider).toBe('local');
    } finally {
      await keyed.close();
    }
  });
});
