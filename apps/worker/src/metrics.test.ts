// A worker process's own /metrics, scraped over HTTP while real jobs run through the simulated
// provider: attempt latency by outcome, 429s counted against the key (by id, never the secret),
// spend summed from the jobs' costs, finished jobs, and MEDIAGATE_METRICS_PORT parsing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@mediagate/core';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import { metricsPortFromEnv, serveWorkerMetrics, startWorkers, type WorkerFleet } from './index.ts';

const secret = 'sk-sim-alpha-do-not-show';
let harness: Harness;
let fleet: WorkerFleet;
let metricsUrl: string;

beforeAll(async () => {
  // A "minute" of 6 s makes the simulated 429s ask for a tenth of a second.
  harness = await createHarness({ workers: false, keys: { simulated: [{ id: 'alpha', secret }] }, simulated: { minuteMs: 6000 } });
  fleet = await startWorkers(harness.runtime, { metricsPort: 0 });
  metricsUrl = `${fleet.metricsUrl}/metrics`;
});
afterAll(async () => {
  await fleet?.close();
  await harness?.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const samples = text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      expect(match, line).not.toBeNull();
      const [, name, labels, value] = match as RegExpExecArray;
      const parsed = Object.fromEntries([...(labels ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
      return { name: name as string, labels: parsed, value: Number(value) };
    });
  return { text, samples };
}

/** Sum of the samples named `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

const image = { kind: 'image', model: 'simulated/image', params: { width: 64, height: 64 } } as const;

describe('a worker\'s /metrics', () => {
  it('shows a job\'s attempt in the latency histogram, with process metrics', async () => {
    const succeeded = { provider: 'simulated', model: 'image', outcome: 'succeeded' };
    const before = (await scrape()).samples;
    const job = await harness.submit({ ...image, prompt: 'histogram' });
    expect((await harness.waitFor(job.id)).status).toBe('succeeded');
    const after = (await scrape()).samples;
    expect(total(after, 'mediagate_attempt_duration_seconds_count', succeeded)).toBe(total(before, 'mediagate_attempt_duration_seconds_count', succeeded) + 1);
    expect(total(after, 'mediagate_attempt_duration_seconds_bucket', { ...succeeded, le: '+Inf' })).toBe(
      total(after, 'mediagate_attempt_duration_seconds_count', succeeded),
    );
    expect(total(after, 'mediagate_attempt_duration_seconds_sum', succeeded)).toBeGreaterThan(total(before, 'mediagate_attempt_duration_seconds_sum', succeeded));
    const finished = { status: 'succeeded', kind: 'image', provider: 'simulated' };
    expect(total(after, 'mediagate_worker_jobs_finished_total', finished)).toBe(total(before, 'mediagate_worker_jobs_finished_total', finished) + 1);
    expect(after.some((sample) => sample.name === 'process_cpu_user_seconds_total')).toBe(true);
  });

  it('counts each 429 against the key by id, never showing its secret', async () => {
    const before = (await scrape()).samples;
    const job = await harness.submit({ ...image, prompt: 'limited', params: { ...image.params, simulate: { fault: 'rate_limit', fault_times: 2 } } });
    expect((await harness.waitFor(job.id)).status).toBe('succeeded');
    expect(harness.simulated.stats().rateLimited).toBeGreaterThanOrEqual(2);
    const { text, samples: after } = await scrape();
    const key = { provider: 'simulated', key_id: 'alpha' };
    expect(total(after, 'mediagate_provider_rate_limited_total', key)).toBe(total(before, 'mediagate_provider_rate_limited_total', key) + 2);
    const limited = { provider: 'simulated', model: 'image', outcome: 'rate_limited' };
    expect(total(after, 'mediagate_attempt_duration_seconds_count', limited)).toBe(total(before, 'mediagate_attempt_duration_seconds_count', limited) + 2);
    expect(text).not.toContain(secret);
  });

  it('sums the spend of succeeded jobs by provider and model, and counts failed jobs', async () => {
    const spend = { provider: 'simulated', model: 'image' };
    const before = (await scrape()).samples;
    const jobs = await Promise.all(['one', 'two', 'three'].map((prompt) => harness.submit({ ...image, prompt: `spend ${prompt}` })));
    const done = await Promise.all(jobs.map((job) => harness.waitFor(job.id)));
    expect(done.map((job) => job.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const expected = done.reduce((sum, job) => sum + (job.actualCostUsd ?? 0), 0);
    expect(expected).toBeCloseTo(0.03, 9);
    const refused = await harness.submit({ ...image, prompt: 'refused', params: { ...image.params, simulate: { fault: 'content_policy' } } });
    expect((await harness.waitFor(refused.id)).status).toBe('failed');

    const after = (await scrape()).samples;
    expect(total(after, 'mediagate_spend_usd_total', spend) - total(before, 'mediagate_spend_usd_total', spend)).toBeCloseTo(expected, 9);
    const failed = { status: 'failed', kind: 'image', provider: 'simulated' };
    expect(total(after, 'mediagate_worker_jobs_finished_total', failed)).toBe(total(before, 'mediagate_worker_jobs_finished_total', failed) + 1);
    const policy = { provider: 'simulated', model: 'image', outcome: 'content_policy' };
    expect(total(after, 'mediagate_attempt_duration_seconds_count', policy)).toBe(total(before, 'mediagate_attempt_duration_seconds_count', policy) + 1);
  });

  it('answers only GET /metrics, in the error shape otherwise', async () => {
    const response = await fetch(new URL('/jobs', metricsUrl));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: expect.stringContaining('GET /metrics') } });
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(404);
  });

  it('with MEDIAGATE_METRICS_TOKEN set, answers 401 without the bearer token and the page with it', async () => {
    const token = 'scrape-0123456789abcdef';
    const guarded = await serveWorkerMetrics({ ...harness.runtime, settings: { ...harness.runtime.settings, metricsToken: token } }, 0, '127.0.0.1');
    try {
      const url = `${guarded.url}/metrics`;
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: token }];
      for (const headers of attempts) {
        const refused = await fetch(url, { headers });
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toBe('Bearer');
        expect(await refused.json()).toEqual({ error: { code: 'unauthorized', message: 'GET /metrics needs Authorization: Bearer <MEDIAGATE_METRICS_TOKEN>' } });
      }
      const page = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('mediagate_attempt_duration_seconds');
    } finally {
      await guarded.close();
    }
  });
});

describe('MEDIAGATE_METRICS_PORT', () => {
  it('is off when unset or empty, and a port otherwise', () => {
    expect(metricsPortFromEnv({})).toBeUndefined();
    expect(metricsPortFromEnv({ MEDIAGATE_METRICS_PORT: '' })).toBeUndefined();
    expect(metricsPortFromEnv({ MEDIAGATE_METRICS_PORT: '9464' })).toBe(9464);
  });

  it.each(['abc', '-1', '65536', '94.5'])('refuses %s, naming the variable', (value) => {
    expect(() => metricsPortFromEnv({ MEDIAGATE_METRICS_PORT: value })).toThrow(InputError);
    expect(() => metricsPortFromEnv({ MEDIAGATE_METRICS_PORT: value })).toThrow(/^MEDIAGATE_METRICS_PORT: ".*" is not a port number/);
  });
});
