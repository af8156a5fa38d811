// Every URL Mediagate fetches on someone else's say-so passes the URL guard: provider output URLs
// (and their redirects) in the worker, reference images by URL (`image_urls`) at submit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { InputError, type GenerationRequestInput } from '@mediagate/core';
import type { ProviderAdapter } from '@mediagate/providers';
import { cardModel } from '../packages/providers/src/local/card/index.ts';
import { recordConnections } from '../packages/providers/src/http/guard/test-server.ts';
import { createHarness, type Harness } from './support/harness.ts';
import { startImageServer, type ImageServer } from './support/image-server.ts';

const maxUploadBytes = 64 * 1024;

/** A test provider that answers every job with one output URL. */
function urlProvider(id: string, url: () => string): ProviderAdapter {
  return {
    id,
    displayName: `answers ${id} output URLs`,
    requiresKey: false,
    paid: false,
    models: [cardModel],
    defaultConcurrency: 2,
    attemptTimeoutMs: 5000,
    async submit() {
      return { status: 'completed', outputs: [{ type: 'url', url: url() }] };
    },
  };
}

let harness: Harness;
let allowed: ImageServer;
let elsewhere: ImageServer;
let png: Buffer;
let connections: ReturnType<typeof recordConnections>;

beforeAll(async () => {
  png = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#e11d48' } }).png().toBuffer();
  allowed = await startImageServer(png, maxUploadBytes * 4);
  elsewhere = await startImageServer(png, maxUploadBytes * 4);
  connections = recordConnections();
  harness = await createHarness({
    settings: { fetchAllow: [new URL(allowed.base).host], maxUploadBytes },
    extraProviders: [
      urlProvider('metadata', () => 'http://169.254.169.254/latest/meta-data'),
      urlProvider('redirecting', () => `${allowed.base}/redirect?to=${encodeURIComponent('http://10.0.0.1/')}`),
    ],
  });
});
afterAll(async () => {
  connections?.stop();
  await harness?.close();
  await allowed?.close();
  await elsewhere?.close();
});

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1', 'localhost']);

describe('provider output URLs', () => {
  it('refuses a metadata address as a malformed answer, without connecting to it', async () => {
    const job = await harness.submit({ kind: 'image', prompt: 'metadata', model: 'metadata/card' });
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('failed');
    expect(done.error?.class).toBe('malformed');
    expect(done.error?.message).toContain('169.254.169.254');
    expect(await harness.runtime.repo.listJobAssets(job.id)).toEqual([]);
    expect(connections.attempted.filter((host) => !loopback.has(host))).toEqual([]);
  });

  it('refuses a redirect from an allowed server to a private address', async () => {
    const before = allowed.hits.filter((hit) => hit === '/redirect').length;
    const job = await harness.submit({ kind: 'image', prompt: 'redirect', model: 'redirecting/card' });
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('failed');
    expect(done.error?.class).toBe('malformed');
    expect(done.error?.message).toContain('10.0.0.1');
    // The allowed hop was fetched (once per attempt); the private one never was.
    expect(allowed.hits.filter((hit) => hit === '/redirect').length).toBeGreaterThan(before);
    expect(connections.attempted.filter((host) => !loopback.has(host))).toEqual([]);
    expect(connections.connected.filter((address) => !loopback.has(address))).toEqual([]);
  });

  it('still downloads the simulated provider outputs from its loopback server', async () => {
    const job = await harness.submit({ kind: 'image', prompt: `async ${Date.now()}`, model: 'simulated/image-async', params: { simulate: { latency_ms: 100 } } });
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    expect(await harness.runtime.repo.listJobAssets(job.id)).toHaveLength(1);
  });
});

describe('image_urls', () => {
  const card = (urls: string[]): GenerationRequestInput => ({ kind: 'image', prompt: 'Open house', model: 'local/card', params: { width: 320, height: 200, seed: 7 }, image_urls: urls });

  async function outputBytes(jobId: string): Promise<Buffer> {
    const [asset] = await harness.runtime.repo.listJobAssets(jobId);
    return readFile(await harness.runtime.store.localPath(asset!.storageKey));
  }

  it('fetches an allowed image once at submit, stores it and hands the job its asset id', async () => {
    const before = allowed.hits.length;
    const job = await harness.submit(card([`${allowed.base}/photo.png`]));
    expect(allowed.hits.length).toBe(before + 1);
    const [assetId] = job.request.image_asset_ids ?? [];
    const asset = await harness.runtime.repo.getAsset(assetId ?? '', job.tenantId);
    expect(asset).toMatchObject({ kind: 'image', mime: 'image/png', width: 96, height: 64, jobId: null });
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    // The worker used the stored asset: no second fetch of the URL.
    expect(allowed.hits.length).toBe(before + 1);
    const plain = await harness.waitFor((await harness.submit({ ...card([]), image_urls: undefined })).id);
    const [withImage, without] = [await outputBytes(job.id), await outputBytes(plain.id)];
    expect((await sharp(withImage).metadata()).width).toBe(320);
    expect(withImage.equals(without)).toBe(false);
  });

  async function refused(urls: string[]): Promise<InputError> {
    const jobs = await harness.runtime.repo.countJobs();
    const error = await harness.submit(card(urls)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect(await harness.runtime.repo.countJobs()).toEqual(jobs);
    return error as InputError;
  }

  it('refuses a loopback server that is not allowed, enqueuing nothing', async () => {
    const error = await refused([`${elsewhere.base}/photo.png`]);
    expect(error).toMatchObject({ field: 'image_urls[0]', status: 400, code: 'url_not_allowed' });
    expect(elsewhere.hits).toEqual([]);
  });

  it('names the bad URL among good ones, and only checks the others', async () => {
    const error = await refused([`${allowed.base}/photo.png`, 'http://169.254.169.254/latest/meta-data']);
    expect(error).toMatchObject({ field: 'image_urls[1]', status: 400 });
  });

  it('refuses a text file as 415', async () => {
    const error = await refused([`${allowed.base}/notes.txt`]);
    expect(error).toMatchObject({ field: 'image_urls[0]', status: 415 });
    expect(error.message).toContain(`${allowed.base}/notes.txt`);
    expect(error.message).not.toContain(harness.settings.home);
  });

  it('refuses an image over MEDIAGATE_MAX_UPLOAD_BYTES as 413', async () => {
    expect(await refused([`${allowed.base}/huge.png`])).toMatchObject({ field: 'image_urls[0]', status: 413 });
  });

  it('refuses an unreachable URL as 400 and a URL that is not http(s) at parse time', async () => {
    expect(await refused([`${allowed.base}/missing.png`])).toMatchObject({ field: 'image_urls[0]', status: 400 });
    expect(await refused(['file:///etc/passwd'])).toMatchObject({ field: 'image_urls[0]', status: 400 });
  });

  it('leaves no scratch files behind', async () => {
    const { readdir } = await import('node:fs/promises');
    const left = await readdir(`${harness.settings.home}/tmp`).catch(() => []);
    expect(left).toEqual([]);
  });
});
