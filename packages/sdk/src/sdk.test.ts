// The SDK against a real listening API with workers: what a caller of `new Mediagate()` sees
// when creating, following, resuming, cancelling, listing and uploading, and how it fails.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi, issueApiKey } from '@mediagate/api';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import { Mediagate, type GenerationRequestInput, type JobEvent } from './index.ts';

let harness: Harness;
let app: FastifyInstance;
let baseURL: string;
/** The default tenant's key (harness.submit puts jobs there). */
let apiKey: string;
let client: Mediagate;
let scratch: string;

beforeAll(async () => {
  harness = await createHarness();
  app = await buildApi(harness.runtime, { logger: false });
  baseURL = await app.listen({ port: 0, host: '127.0.0.1' });
  apiKey = (await issueApiKey(harness.runtime.repo, { id: 'ten_default' })).key;
  client = new Mediagate({ baseURL, apiKey, timeoutMs: 20_000 });
  scratch = await mkdtemp(path.join(os.tmpdir(), 'mediagate-sdk-'));
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const pngSignature = [0x89, 0x50, 0x4e, 0x47];

function slowImage(prompt: string, latencyMs = 500, progressSteps = 3): GenerationRequestInput {
  return { kind: 'image', prompt, model: 'simulated/image-async', params: { width: 128, height: 96, simulate: { latency_ms: latencyMs, progress_steps: progressSteps } } };
}

/** The job's events as `GET /v1/jobs/:id/events` lists them, read without the SDK. */
async function recorded(jobId: string): Promise<JobEvent[]> {
  const response = await fetch(`${baseURL}/v1/jobs/${jobId}/events`, { headers: { authorization: `Bearer ${apiKey}` } });
  // The JSON list also carries the tenant, which the event stream leaves out.
  return ((await response.json()) as { data: (JobEvent & { tenantId?: string })[] }).data.map(({ tenantId: _tenantId, ...event }) => event);
}

describe('jobs', () => {
  it('creates and waits for a simulated/image and a local/card job, then reads and downloads the output', async () => {
    const simulated = await client.jobs.create({ kind: 'image', prompt: 'A lighthouse', model: 'simulated/image', params: { width: 96, height: 64 } });
    const card = await client.jobs.create({ kind: 'image', prompt: 'Grand opening', model: 'local/card', params: { width: 200, height: 250 } });
    // The server works both queues with slots free: each job starts in its insert.
    expect([simulated.status, card.status]).toEqual(['running', 'running']);
    const [simulatedDone, cardDone] = await Promise.all([client.jobs.wait(simulated.id, { timeoutMs: 20_000 }), client.jobs.wait(card.id, { timeoutMs: 20_000 })]);
    expect(simulatedDone).toMatchObject({ id: simulated.id, status: 'succeeded', model: 'image', provider: 'simulated' });
    expect(cardDone).toMatchObject({ id: card.id, status: 'succeeded', progress: 100 });

    const output = cardDone.outputs?.[0];
    expect(output).toMatchObject({ mime: 'image/png', width: 200, height: 250 });
    const asset = await client.assets.get(output?.id ?? '');
    expect(asset).toEqual(output);
    const bytes = new Uint8Array(await (await client.assets.content(asset.id)).arrayBuffer());
    expect(bytes.length).toBe(asset.bytes);
    expect([...bytes.subarray(0, 4)]).toEqual(pngSignature);
    const file = path.join(scratch, 'card.png');
    expect(await client.assets.download(asset.id, file)).toEqual({ path: file, bytes: asset.bytes, contentType: 'image/png' });
    expect((await readFile(file)).equals(bytes)).toBe(true);

    // A link that works without the key, until it expires.
    const link = await client.assets.share(asset.id, { expiresIn: 120 });
    expect(link).toMatchObject({ object: 'asset_link', asset_id: asset.id, url: `${baseURL}${link.path}` });
    expect(Date.parse(link.expires_at) - Date.now()).toBeGreaterThan(100_000);
    const shared = await fetch(link.url);
    expect(shared.status).toBe(200);
    expect(Buffer.from(await shared.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('cancels a running job, which then finishes as canceled', async () => {
    const job = await client.jobs.create(slowImage('Never mind', 20_000, 2));
    for await (const event of client.jobs.events(job.id)) if (event.type === 'submitted') break;
    const answered = await client.jobs.cancel(job.id);
    expect(answered.id).toBe(job.id);
    const done = await client.jobs.wait(job.id, { timeoutMs: 15_000 });
    expect(done.status).toBe('canceled');
    expect((await recorded(job.id)).at(-1)?.type).toBe('canceled');
  });

  it('lists a page with nextCursor and iterates every page', async () => {
    const created = await Promise.all(
      Array.from({ length: 5 }, (_, index) => client.jobs.create({ kind: 'image', prompt: `Page ${index}`, model: 'local/card', params: { width: 64, height: 64 } })),
    );
    await Promise.all(created.map((job) => client.jobs.wait(job.id, { timeoutMs: 20_000 })));
    const everything = await client.jobs.list({ limit: 200 });
    expect(everything.nextCursor).toBeNull();
    expect(everything.data.length).toBeGreaterThanOrEqual(5);

    const first = await client.jobs.list({ limit: 2 });
    expect(first.data.map((job) => job.id)).toEqual(everything.data.slice(0, 2).map((job) => job.id));
    expect(first.nextCursor).toBe(first.data[1]?.id);
    const second = await client.jobs.list({ limit: 2, before: first.nextCursor ?? '' });
    expect(second.data.map((job) => job.id)).toEqual(everything.data.slice(2, 4).map((job) => job.id));

    const pages: string[] = [];
    const counting = new Mediagate({
      baseURL,
      apiKey,
      fetch: (input, init) => {
        if (String(input).includes('/v1/jobs?')) pages.push(String(input));
        return fetch(input, init);
      },
    });
    const iterated: string[] = [];
    for await (const job of counting.jobs.iterate({ limit: 2 })) iterated.push(job.id);
    expect(iterated).toEqual(everything.data.map((job) => job.id));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const succeeded: string[] = [];
    for await (const job of client.jobs.iterate({ limit: 2, status: 'succeeded', kind: 'image' })) succeeded.push(job.status);
    expect(succeeded.length).toBeGreaterThanOrEqual(5);
    expect(new Set(succeeded)).toEqual(new Set(['succeeded']));
  });

  it('uploads an image and uses it as a reference image', async () => {
    const source = await client.jobs.wait((await client.jobs.create({ kind: 'image', prompt: 'Source', model: 'local/card', params: { width: 96, height: 64 } })).id);
    const png = new Uint8Array(await (await client.assets.content(source.outputs?.[0]?.id ?? '')).arrayBuffer());
    const uploaded = await client.uploads.create(png, { contentType: 'image/png' });
    expect(uploaded).toMatchObject({ mime: 'image/png', kind: 'image', width: 96, height: 64, bytes: png.length });
    const fromBlob = await client.uploads.create(new Blob([png], { type: 'image/png' }));
    expect(fromBlob.sha256).toBe(uploaded.sha256);

    const job = await client.jobs.create({ kind: 'image', prompt: 'With a photo', model: 'local/card', image_asset_ids: [uploaded.id], params: { width: 160, height: 160 } });
    const done = await client.jobs.wait(job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('succeeded');
    expect(done.outputs?.[0]).toMatchObject({ width: 160, height: 160 });
  });

  it('lists providers with their models', async () => {
    const providers = await client.providers.list();
    expect(providers.map((provider) => provider.id)).toEqual(expect.arrayContaining(['local', 'simulated']));
    expect(providers.flatMap((provider) => provider.models.map((model) => model.id))).toContain('simulated/image-async');
  });
});
