// The shared conformance suite: every cloud adapter (test/fakes/subjects.ts) runs through the real
// engine against its provider's fake for the same scenarios — success, 429, 5xx, content policy,
// bad or missing key, timeout, malformed body, cancel and an expired output URL.
import { isRetryableClass } from '@mediagate/core';
import type { AttemptRecord, JobRecord } from '@mediagate/db';
import { cancelJob, loadSettings } from '@mediagate/engine';
import { createCloudProviders, type ProviderKey } from '@mediagate/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.ts';
import type { ConformanceCase, ConformanceSubject, FakeFault, FakeProvider, RecordedRequest } from './subject.ts';
import { subjects } from './subjects.ts';

/** Long enough for a normal attempt on a loaded machine, short enough to wait out a hang. */
const shortAttemptMs = 4000;

/** A request that creates (and bills) work: the suite checks nothing is ever sent twice. */
function isSubmit(request: RecordedRequest): boolean {
  return (request.method === 'POST' || request.method === 'PUT') && !/cancel/i.test(request.path);
}

function isCancel(request: RecordedRequest): boolean {
  return request.method === 'DELETE' || /cancel/i.test(request.path);
}

function applies(testCase: ConformanceCase, fault: FakeFault): boolean {
  return testCase.notApplicable?.[fault] === undefined;
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('cloud provider registry', () => {
  it('registers every subject, listed without keys, with base URLs from MEDIAGATE_BASE_URL_<PROVIDER>', () => {
    const adapters = createCloudProviders({ baseURLs: { example: 'http://127.0.0.1:1' } });
    const ids = adapters.map((adapter) => adapter.id);
    for (const subject of subjects) expect(ids).toContain(subject.provider);
    for (const adapter of adapters) {
      expect(adapter.requiresKey).toBe(true);
      expect(adapter.models.length).toBeGreaterThan(0);
      for (const model of adapter.models) expect(model.pricing.length).toBeGreaterThan(0);
    }
    const settings = loadSettings({ MEDIAGATE_BASE_URL_OPENAI: 'http://127.0.0.1:9/v1/', MEDIAGATE_BASE_URL_ELEVENLABS: 'https://proxy.example' });
    expect(settings.providerBaseUrls).toEqual({ openai: 'http://127.0.0.1:9/v1', elevenlabs: 'https://proxy.example' });
    expect(() => loadSettings({ MEDIAGATE_BASE_URL_OPENAI: 'ftp://x' })).toThrow(/MEDIAGATE_BASE_URL_OPENAI: "ftp:\/\/x" is not an http\(s\) URL/);
  });
});

interface Rig {
  fakes: Map<string, FakeProvider>;
  /** Each provider with its good key. */
  main: Harness;
  /** Each provider with its bad key first, then the good one. */
  rotation: Harness;
  /** No keys at all. */
  keyless: Harness;
  /** Good keys, short attempt timeout. */
  short: Harness;
}

let rig: Rig | undefined;

function need(): Rig {
  if (rig === undefined) throw new Error('conformance rig not started');
  return rig;
}

async function harnessFor(fakes: Map<string, FakeProvider>, keys: (subject: ConformanceSubject) => ProviderKey[], attemptTimeoutMs?: number): Promise<Harness> {
  const hosts = [...fakes.values()].map((fake) => new URL(fake.url).host);
  const keyMap: Record<string, ProviderKey[]> = {};
  for (const subject of subjects) {
    const list = keys(subject);
    if (list.length > 0) keyMap[subject.provider] = list;
  }
  return createHarness({
    extraProviders: subjects.map((subject) => subject.adapter(fakes.get(subject.provider) as FakeProvider)),
    keys: keyMap,
    settings: { fetchAllow: hosts, ...(attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs }) },
  });
}

if (subjects.length > 0) {
  beforeAll(async () => {
    const fakes = new Map<string, FakeProvider>();
    for (const subject of subjects) fakes.set(subject.provider, await subject.start());
    rig = {
      fakes,
      main: await harnessFor(fakes, (subject) => [subject.key]),
      rotation: await harnessFor(fakes, (subject) => [subject.badKey, subject.key]),
      keyless: await harnessFor(fakes, () => []),
      short: await harnessFor(fakes, (subject) => [subject.key], shortAttemptMs),
    };
  });

  afterAll(async () => {
    if (rig === undefined) return;
    for (const harness of [rig.main, rig.rotation, rig.keyless, rig.short]) await harness.close();
    for (const fake of rig.fakes.values()) await fake.close();
  });
}

describe.each(subjects.map((subject) => [subject.provider, subject] as const))('%s conformance', (_provider, subject) => {
  const first = subject.cases[0] as ConformanceCase;
  const fake = () => need().fakes.get(subject.provider) as FakeProvider;

  /** Runs one job to its end on `harness` and returns it with its attempts and the requests it caused. */
  async function run(harness: Harness, testCase: ConformanceCase) {
    const before = fake().requests.length;
    const created = await harness.submit(testCase.request);
    const job = await harness.waitFor(created.id, 60_000);
    const attempts = await harness.runtime.repo.listAttempts(job.id);
    return { job, attempts, requests: fake().requests.slice(before) };
  }

  /** The error the engine retried after (from the `retrying` event: polled work keeps its attempt). */
  async function retriedError(harness: Harness, jobId: string): Promise<{ class?: unknown; message?: unknown } | undefined> {
    const retrying = (await harness.events(jobId)).find((event) => event.type === 'retrying');
    return retrying?.data.error as { class?: unknown; message?: unknown } | undefined;
  }

  async function expectOutputs(harness: Harness, job: JobRecord, testCase: ConformanceCase): Promise<void> {
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.provider).toBe(subject.provider);
    const assets = await harness.runtime.repo.listJobAssets(job.id);
    expect(assets.length).toBeGreaterThanOrEqual(1);
    for (const asset of assets) expect(asset.mime).toBe(testCase.mime);
  }

  it.each(subject.cases.map((testCase) => [testCase.name, testCase] as const))('succeeds: %s', async (_name, testCase) => {
    const { main } = need();
    const { job, attempts, requests } = await run(main, testCase);
    await expectOutputs(main, job, testCase);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ status: 'succeeded', keyId: subject.key.id });
    expect(attempts[0]?.operation !== null).toBe(testCase.async);
    expect(requests.filter(isSubmit)).toHaveLength(1);
    // The secret went to the provider, never into what Mediagate stored about the job.
    expect(JSON.stringify({ job, attempts })).not.toContain(subject.key.secret);
  });

  it('waits out a 429 with Retry-After on that key without counting an attempt', async () => {
    const { main } = need();
    fake().fail('rate_limit', 1);
    const { job, attempts } = await run(main, first);
    await expectOutputs(main, job, first);
    expect(attempts.map((attempt) => attempt.status)).toEqual(['rate_limited', 'succeeded']);
    expect(attempts[0]?.error?.class).toBe('rate_limited');
    expect(job.attemptCount).toBe(0);
    const events = await main.events(job.id);
    const limited = events.find((event) => event.type === 'rate_limited');
    expect(limited?.data).toMatchObject({ provider: subject.provider, keyId: subject.key.id });
    const waitMs = Number(limited?.data.retryAfterMs);
    expect(waitMs).toBeGreaterThan(0);
    // The key was cooled for the provider's Retry-After: the next attempt started no sooner.
    const [limitedAttempt, next] = attempts as [AttemptRecord, AttemptRecord];
    expect(next.startedAt.getTime() - (limitedAttempt.finishedAt as Date).getTime()).toBeGreaterThanOrEqual(waitMs - 50);
  });

  it('retries a 5xx and then succeeds', async () => {
    const { main } = need();
    fake().fail('server_error', 1);
    const { job, attempts } = await run(main, first);
    await expectOutputs(main, job, first);
    expect((await retriedError(main, job.id))?.class).toBe('server');
    expect(attempts.at(-1)?.status).toBe('succeeded');
  });

  it.each(subject.cases.filter((testCase) => applies(testCase, 'content_policy')).map((testCase) => [testCase.name, testCase] as const))(
    'fails a content-policy refusal without retrying: %s',
    async (_name, testCase) => {
      const { main } = need();
      fake().fail('content_policy', 1);
      const { job, attempts, requests } = await run(main, testCase);
      expect(job.status).toBe('failed');
      expect(job.error?.class).toBe('content_policy');
      expect(attempts).toHaveLength(1);
      expect(requests.filter(isSubmit)).toHaveLength(1);
    },
  );

  it('disables a key the provider refuses and goes on with the next one', async () => {
    const { rotation } = need();
    const { job, attempts } = await run(rotation, first);
    await expectOutputs(rotation, job, first);
    expect(attempts.map((attempt) => [attempt.keyId, attempt.error?.class ?? null])).toEqual([
      [subject.badKey.id, 'auth'],
      [subject.key.id, null],
    ]);
    expect(await rotation.runtime.keys.describe(subject.provider)).toMatchObject([
      { id: subject.badKey.id, status: 'error' },
      { id: subject.key.id, status: 'active' },
    ]);
  });

  it('fails with a clear auth error, sending nothing, when no key is configured', async () => {
    const { keyless } = need();
    const { job, requests } = await run(keyless, first);
    expect(job.status).toBe('failed');
    expect(job.error?.class).toBe('auth');
    expect(job.error?.message).toContain(`MEDIAGATE_KEYS_${subject.provider.toUpperCase()}`);
    expect(requests).toHaveLength(0);
  });

  it('times out an attempt the provider never answers, then retries', async () => {
    const { short } = need();
    fake().fail('hang', 1);
    const { job, attempts } = await run(short, first);
    await expectOutputs(short, job, first);
    expect(attempts[0]?.error?.class).toBe('timeout');
    expect(attempts.at(-1)?.status).toBe('succeeded');
  });

  it('classifies a malformed success body', async () => {
    const { main } = need();
    fake().fail('malformed', 1);
    const { job } = await run(main, first);
    if (isRetryableClass('malformed')) {
      expect((await retriedError(main, job.id))?.class).toBe('malformed');
      await expectOutputs(main, job, first);
    } else {
      expect(job.error?.class).toBe('malformed');
    }
  });

  it(`cancels a running job${subject.cancel ? ' and the work at the provider' : ''}`, async () => {
    const { main } = need();
    const testCase = subject.cases.find((candidate) => candidate.async) ?? first;
    fake().fail('hang', 1);
    const before = fake().requests.length;
    const created = await main.submit(testCase.request);
    // Async: wait for the stored operation (polls hang); sync: for the submit in flight.
    await until('the provider to hold the work', async () => {
      const attempt = (await main.runtime.repo.listAttempts(created.id))[0];
      const sent = fake().requests.slice(before).some(isSubmit);
      return attempt !== undefined && sent && (!testCase.async || attempt.status === 'pending') ? attempt : undefined;
    });
    await cancelJob(main.runtime, created.id);
    const job = await main.waitFor(created.id);
    expect(job.status).toBe('canceled');
    // The job is canceled at once; the worker then stops the call and closes the attempt.
    const attempts = await until('the attempt to be closed', async () => {
      const list = await main.runtime.repo.listAttempts(job.id);
      return list.every((attempt) => attempt.status !== 'submitting' && attempt.status !== 'pending') ? list : undefined;
    });
    expect(attempts.map((attempt) => attempt.status)).toEqual(['canceled']);
    if (subject.cancel && testCase.async) {
      await until('the cancel request at the provider', async () => (fake().requests.slice(before).some(isCancel) ? true : undefined));
    }
    expect(fake().requests.slice(before).filter(isSubmit)).toHaveLength(1);
  });

  it.each(subject.cases.filter((testCase) => applies(testCase, 'expired_output')).map((testCase) => [testCase.name, testCase] as const))(
    'recovers from an expired output URL: %s',
    async (_name, testCase) => {
      const { main } = need();
      fake().fail('expired_output', 1);
      const { job, requests } = await run(main, testCase);
      await expectOutputs(main, job, testCase);
      expect((await retriedError(main, job.id))?.message).toMatch(/expired or gone/);
      // Async work is polled again, not sent again: the provider is never paid twice.
      if (testCase.async) expect(requests.filter(isSubmit)).toHaveLength(1);
    },
  );
});
