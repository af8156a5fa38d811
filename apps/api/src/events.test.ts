// The SSE routes over a real listening server: what an EventSource-like client sees for a
// running job, a reconnect, a finished job and the tenant stream, and that leaving cleans up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import type { JobView } from './index.ts';
import { eventHubStats } from './routes-events.ts';
import { SseClient, type EventPayload, type Frame } from './sse-test-client.ts';
import { bearer, buildTestApi, isErrorBody } from './test-support.ts';

let harness: Harness;
let app: FastifyInstance;
let baseUrl: string;
/** The default tenant's key, where submitAsync puts its jobs. */
let auth: { authorization: string };

beforeAll(async () => {
  harness = await createHarness();
  const api = await buildTestApi(harness.runtime);
  app = api.app;
  auth = bearer(api.apiKey);
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

async function submitAsync(latencyMs: number, progressSteps = 5): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/jobs`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'image',
      prompt: 'Progress, live',
      model: 'simulated/image-async',
      params: { width: 128, height: 96, simulate: { latency_ms: latencyMs, progress_steps: progressSteps } },
    }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as JobView).id;
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The database's record of a job's events after `afterSeq`, in the stream's shape. */
async function recorded(jobId: string, afterSeq = 0) {
  const events = await harness.runtime.repo.listEvents(jobId, afterSeq);
  return events.map((event) => ({ id: String(event.seq), event: event.type, seq: event.seq }));
}

function asRecorded(client: SseClient) {
  return client.frames.map((frame, index) => ({ id: frame.id, event: frame.event, seq: client.payloads()[index]?.seq }));
}

describe('GET /v1/jobs/:id/events as an event stream', () => {
  it('streams a running job from queued to succeeded, ids one apart, then closes', async () => {
    const jobId = await submitAsync(600);
    const client = await SseClient.open(`${baseUrl}/v1/jobs/${jobId}/events`, auth);
    expect(client.response.status).toBe(200);
    expect(client.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await client.done;

    const types = client.frames.map((frame) => frame.event);
    expect(types[0]).toBe('queued');
    expect(types.slice(1, 3)).toEqual(['attempt', 'submitted']);
    expect(types.filter((type) => type === 'progress').length).toBeGreaterThanOrEqual(1);
    expect(types.at(-1)).toBe('succeeded');
    expect(client.frames.map((frame) => Number(frame.id))).toEqual(client.frames.map((_, index) => index + 1));
    for (const [index, payload] of client.payloads().entries()) {
      expect(payload).toMatchObject({ jobId, seq: index + 1, type: types[index] });
      expect(Object.keys(payload).sort()).toEqual(['createdAt', 'data', 'jobId', 'seq', 'type']);
      expect(Number.isNaN(Date.parse(payload.createdAt))).toBe(false);
    }
    expect(asRecorded(client)).toEqual(await recorded(jobId));
    // Live, not a replay at the end: the provider's ~600 ms passed between the first and last frame.
    expect((client.frames.at(-1)?.receivedAt ?? 0) - (client.frames[0]?.receivedAt ?? 0)).toBeGreaterThan(300);
  });

  it('resumes after Last-Event-ID with exactly the later events, no repeats', async () => {
    const jobId = await submitAsync(800);
    const first = await SseClient.open(`${baseUrl}/v1/jobs/${jobId}/events`, auth);
    await first.until((frames) => frames.length >= 2);
    first.close();
    expect(first.frames.slice(0, 2).map((frame) => frame.id)).toEqual(['1', '2']);

    const resumed = await SseClient.open(`${baseUrl}/v1/jobs/${jobId}/events`, { ...auth, 'last-event-id': '2' });
    await resumed.done;
    expect(resumed.frames.at(-1)?.event).toBe('succeeded');
    expect(asRecorded(resumed)).toEqual(await recorded(jobId, 2));

    // The same through ?after=N, for clients that cannot set headers (the header wins when both are sent).
    const byQuery = await SseClient.open(`${baseUrl}/v1/jobs/${jobId}/events?after=2`, auth);
    await byQuery.done;
    expect(asRecorded(byQuery)).toEqual(await recorded(jobId, 2));
    const both = await SseClient.open(`${baseUrl}/v1/jobs/${jobId}/events?after=1`, { ...auth, 'last-event-id': '3' });
    await both.done;
    expect(asRecorded(both)).toEqual(await recorded(jobId, 3));
  });

  it('replays a finished job and closes; after its last event answers 204 so EventSource stops', async () => {
    const job = await harness.submit({ kind: 'image', prompt: 'Already done', model: 'simulated/image' });
    await harness.waitFor(job.id);
    const client = await SseClient.open(`${baseUrl}/v1/jobs/${job.id}/events`, auth);
    await client.done;
    const all = await recorded(job.id);
    expect(asRecorded(client)).toEqual(all);
    expect(client.frames.at(-1)?.event).toBe('succeeded');

    const afterEnd = await fetch(`${baseUrl}/v1/jobs/${job.id}/events`, { headers: { ...auth, accept: 'text/event-stream', 'last-event-id': String(all.length) } });
    expect(afterEnd.status).toBe(204);
  });

  it('answers an unknown job, or a Last-Event-ID the job never had, with the JSON error shape', async () => {
    const missing = await fetch(`${baseUrl}/v1/jobs/job_doesnotexist/events`, { headers: { ...auth, accept: 'text/event-stream' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    const body: unknown = await missing.json();
    expect(isErrorBody(body) && body.error.code).toBe('not_found');

    const job = await harness.submit({ kind: 'image', prompt: 'Ids', model: 'simulated/image' });
    await harness.waitFor(job.id);
    for (const lastEventId of ['999', 'abc', 'job_other:1']) {
      const bad = await fetch(`${baseUrl}/v1/jobs/${job.id}/events`, { headers: { ...auth, accept: 'text/event-stream', 'last-event-id': lastEventId } });
      expect(bad.status, lastEventId).toBe(400);
      const error: unknown = await bad.json();
      expect(isErrorBody(error) && error.error.field).toBe('last-event-id');
    }
  });

  it('keeps the JSON list for clients that do not ask for an event stream', async () => {
    const job = await harness.submit({ kind: 'image', prompt: 'Listed', model: 'simulated/image' });
    await harness.waitFor(job.id);
    const response = await fetch(`${baseUrl}/v1/jobs/${job.id}/events?after=1`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const list = (await response.json()) as { object: string; data: EventPayload[] };
    expect(list.object).toBe('list');
    expect(list.data.map((event) => event.seq)).toEqual((await recorded(job.id, 1)).map((event) => event.seq));
  });

  it('fans one job out to many clients over one Redis subscription', async () => {
    const jobId = await submitAsync(1000);
    const clients = await Promise.all(Array.from({ length: 50 }, () => SseClient.open(`${baseUrl}/v1/jobs/${jobId}/events`, auth)));
    const numsub = await harness.runtime.redis.pubsub('NUMSUB', `${harness.settings.queuePrefix}:events`);
    expect(Number(numsub[1])).toBe(1);
    await Promise.all(clients.map((client) => client.done));
    const expected = await recorded(jobId);
    for (const client of clients) expect(asRecorded(client)).toEqual(expected);
  });
});

describe('GET /v1/events', () => {
  it("carries the live events of all the tenant's jobs, ids as <jobId>:<seq>", async () => {
    const client = await SseClient.open(`${baseUrl}/v1/events`, auth);
    expect(client.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const [first, second] = await Promise.all([submitAsync(400, 2), submitAsync(500, 2)]);
    const finished = (frames: Frame[], jobId: string) => frames.some((frame) => frame.id?.startsWith(`${jobId}:`) && frame.event === 'succeeded');
    await client.until((frames) => finished(frames, first) && finished(frames, second));
    client.close();

    for (const jobId of [first, second]) {
      const frames = client.frames.filter((frame) => frame.id?.startsWith(`${jobId}:`));
      const seqs = frames.map((frame) => Number(frame.id?.slice(jobId.length + 1)));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(frames.map((frame) => frame.event)).toContain('queued');
      for (const frame of frames) expect(JSON.parse(frame.data)).toMatchObject({ jobId, type: frame.event });
    }
  });
});

describe('leaving', () => {
  it('removes the listener of a client that disconnects, on both streams', async () => {
    // Every earlier client has gone (or is going): the hub empties.
    const empty = () => eventHubStats(app).jobListeners === 0 && eventHubStats(app).tenantListeners === 0;
    await eventually(empty);
    const jobId = await submitAsync(5000);
    const jobClient = await SseClient.open(`${baseUrl}/v1/jobs/${jobId}/events`, auth);
    const tenantClient = await SseClient.open(`${baseUrl}/v1/events`, auth);
    await jobClient.until((frames) => frames.length >= 1);
    expect(eventHubStats(app)).toEqual({ subscribed: true, jobListeners: 1, tenantListeners: 1 });

    jobClient.close();
    await eventually(() => eventHubStats(app).jobListeners === 0);
    expect(eventHubStats(app).tenantListeners).toBe(1);
    tenantClient.close();
    await eventually(empty);
    await fetch(`${baseUrl}/v1/jobs/${jobId}/cancel`, { method: 'POST', headers: auth });
  });
});

describe('closing the app', () => {
  it('ends open streams and drops its one Redis subscription', async () => {
    const channel = `${harness.settings.queuePrefix}:events`;
    const subscribers = async () => Number((await harness.runtime.redis.pubsub('NUMSUB', channel))[1]);
    const before = await subscribers();
    const { app: other } = await buildTestApi(harness.runtime);
    const otherUrl = await other.listen({ port: 0, host: '127.0.0.1' });
    const jobId = await submitAsync(5000);
    const clients = await Promise.all([SseClient.open(`${otherUrl}/v1/jobs/${jobId}/events`, auth), SseClient.open(`${otherUrl}/v1/events`, auth)]);
    expect(await subscribers()).toBe(before + 1);

    await other.close();
    await Promise.all(clients.map((client) => client.done));
    expect(await subscribers()).toBe(before);
    await fetch(`${baseUrl}/v1/jobs/${jobId}/cancel`, { method: 'POST', headers: auth });
  });
});
