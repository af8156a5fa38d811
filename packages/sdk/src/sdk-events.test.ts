// The SDK's live events against a real listening API: the event iterator, resuming with
// lastEventId, reconnecting after a dropped connection, and `wait` without an event stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi, issueApiKey } from '@mediagate/api';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import { Mediagate, type GenerationRequestInput, type JobEvent } from './index.ts';
import { closedPort } from './test-support.ts';

let harness: Harness;
let app: FastifyInstance;
let baseURL: string;
/** The default tenant's key (harness.submit puts jobs there). */
let apiKey: string;
let client: Mediagate;

beforeAll(async () => {
  harness = await createHarness();
  app = await buildApi(harness.runtime, { logger: false });
  baseURL = await app.listen({ port: 0, host: '127.0.0.1' });
  apiKey = (await issueApiKey(harness.runtime.repo, { id: 'ten_default' })).key;
  client = new Mediagate({ baseURL, apiKey });
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

function slowImage(prompt: string): GenerationRequestInput {
  return { kind: 'image', prompt, model: 'simulated/image-async', params: { width: 128, height: 96, simulate: { latency_ms: 500, progress_steps: 3 } } };
}

async function recorded(jobId: string, after = 0): Promise<JobEvent[]> {
  const response = await fetch(`${baseURL}/v1/jobs/${jobId}/events?after=${after}`, { headers: { authorization: `Bearer ${apiKey}` } });
  // The JSON list also carries the tenant, which the event stream leaves out.
  return ((await response.json()) as { data: (JobEvent & { tenantId?: string })[] }).data.map(({ tenantId: _tenantId, ...event }) => event);
}

async function collect(events: AsyncIterable<JobEvent>): Promise<JobEvent[]> {
  const seen: JobEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** A body that passes the first SSE frame through, then fails as a dropped connection would. */
function cutAfterFirstFrame(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let text = '';
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      const before = text.length;
      text += new TextDecoder().decode(value);
      const end = text.indexOf('\n\n');
      if (end === -1) return controller.enqueue(value);
      controller.enqueue(new TextEncoder().encode(text.slice(before, end + 2)));
      await reader.cancel();
      controller.error(new TypeError('terminated'));
    },
  });
}

describe('jobs.events', () => {
  it('yields queued, attempt, progress… succeeded live, with seqs one apart, then ends', async () => {
    const job = await client.jobs.create(slowImage('Live'));
    const seen = await collect(client.jobs.events(job.id));
    const types = seen.map((event) => event.type);
    expect(types[0]).toBe('queued');
    expect(types[1]).toBe('attempt');
    expect(types).toContain('progress');
    expect(types.at(-1)).toBe('succeeded');
    expect(seen.map((event) => event.seq)).toEqual(seen.map((_, index) => index + 1));
    expect(seen.every((event) => event.jobId === job.id)).toBe(true);
    expect(seen).toEqual(await recorded(job.id));
  });

  it('resumes after an abort with lastEventId and yields exactly the rest', async () => {
    const job = await client.jobs.create(slowImage('Resume'));
    const abort = new AbortController();
    const first: JobEvent[] = [];
    const stopped = (async () => {
      for await (const event of client.jobs.events(job.id, { signal: abort.signal })) {
        first.push(event);
        abort.abort();
      }
    })();
    await expect(stopped).rejects.toMatchObject({ name: 'AbortError' });
    expect(first.map((event) => event.type)).toEqual(['queued']);

    const rest = await collect(client.jobs.events(job.id, { lastEventId: first[0]?.seq ?? 0 }));
    expect(rest.at(-1)?.type).toBe('succeeded');
    expect(rest).toEqual(await recorded(job.id, 1));
    // After the terminal event there is nothing left to resume: the iterator ends at once.
    expect(await collect(client.jobs.events(job.id, { lastEventId: rest.at(-1)?.seq ?? 0 }))).toEqual([]);
  });

  it('reconnects with Last-Event-ID when the connection drops before the terminal event', async () => {
    const resumedFrom: (string | null)[] = [];
    const flaky = new Mediagate({
      baseURL,
      apiKey,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        const headers = new Headers(init?.headers);
        if (headers.get('accept') !== 'text/event-stream' || response.body === null) return response;
        resumedFrom.push(headers.get('last-event-id'));
        return new Response(cutAfterFirstFrame(response.body), { status: response.status, headers: response.headers });
      },
    });
    const job = await flaky.jobs.create(slowImage('Flaky'));
    const seen = await collect(flaky.jobs.events(job.id, { retryDelayMs: 10 }));
    expect(seen).toEqual(await recorded(job.id));
    // One frame per connection: each reconnect asked for what came after the last event seen.
    expect(resumedFrom).toEqual([null, ...seen.slice(0, -1).map((event) => String(event.seq))]);
  });

  it('gives up after its retries when the server is gone', async () => {
    const gone = new Mediagate({ baseURL: `http://127.0.0.1:${await closedPort()}` });
    await expect(collect(gone.jobs.events('job_x', { maxRetries: 2, retryDelayMs: 10 }))).rejects.toThrow(/gave up after 2 reconnects/);
  });
});

describe('jobs.wait', () => {
  it('reports each event through onEvent and resolves to the finished job', async () => {
    const job = await client.jobs.create(slowImage('Waiting'));
    const seen: JobEvent[] = [];
    const done = await client.jobs.wait(job.id, { onEvent: (event) => seen.push(event), timeoutMs: 20_000 });
    expect(done).toMatchObject({ id: job.id, status: 'succeeded', progress: 100 });
    expect(done.outputs).toHaveLength(1);
    expect(seen).toEqual(await recorded(job.id));
  });

  it('polls the job when no event stream gets through', async () => {
    // A proxy that drops `Accept: text/event-stream`: the server answers its JSON list instead.
    const proxied = new Mediagate({
      baseURL,
      apiKey,
      fetch: (input, init) => {
        const headers = new Headers(init?.headers);
        if (headers.get('accept') === 'text/event-stream') headers.set('accept', 'application/json');
        return fetch(input, { ...init, headers });
      },
    });
    const job = await proxied.jobs.create(slowImage('Polled'));
    const seen: JobEvent[] = [];
    const done = await proxied.jobs.wait(job.id, { onEvent: (event) => seen.push(event), pollIntervalMs: 100, timeoutMs: 20_000 });
    expect(done.status).toBe('succeeded');
    expect(seen).toEqual(await recorded(job.id));
  });

  it('gives up after timeoutMs with MediagateTimeoutError, leaving the job running', async () => {
    const job = await client.jobs.create({ ...slowImage('Too slow'), params: { simulate: { latency_ms: 5000 } } });
    await expect(client.jobs.wait(job.id, { timeoutMs: 300 })).rejects.toMatchObject({ name: 'MediagateTimeoutError', jobId: job.id });
    expect((await client.jobs.get(job.id)).status).not.toBe('failed');
    await client.jobs.cancel(job.id);
  });
});
