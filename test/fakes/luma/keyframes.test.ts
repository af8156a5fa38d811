// Luma image-to-video through the whole stack: with MEDIAGATE_PUBLIC_URL set, a job with a stored
// reference image reaches Luma's fake as keyframes.frame0 holding a signed, expiring link to this
// API, the fake fetches it from the listening API and gets the image's own bytes, and the video
// comes back verified. Without a public URL the same request is a 400 that says what to set.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTenantId, importImageFile, loadSettings, referenceLinkSeconds } from '@mediagate/engine';
import type { FastifyInstance } from 'fastify';
import { createLumaProvider } from '../../../packages/providers/src/luma/luma-provider.ts';
import { bearer, buildTestApi } from '../../../apps/api/src/test-support.ts';
import { freePort } from '../../support/cli.ts';
import { createHarness, type Harness } from '../../support/harness.ts';
import { pngImage } from '../fake-http.ts';
import { lumaGoodKey, startLumaFake, type LumaFake } from './server.ts';

const attemptTimeoutMs = 60_000;
let fake: LumaFake;
let harness: Harness;
let app: FastifyInstance;
let publicUrl = '';
let auth: { authorization: string };

beforeAll(async () => {
  fake = await startLumaFake({ generationMs: 300 });
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  harness = await createHarness({
    extraProviders: [createLumaProvider({ baseURL: `${fake.url}/dream-machine/v1`, pollIntervalMs: 25, requestTimeoutMs: 5000, attemptTimeoutMs })],
    keys: { luma: [{ id: 'luma-main', secret: lumaGoodKey }] },
    // The fake's outputs are on loopback: let the worker download them.
    settings: { publicUrl, fetchAllow: [new URL(fake.url).host] },
  });
  const api = await buildTestApi(harness.runtime);
  app = api.app;
  auth = bearer(api.apiKey);
  await app.listen({ port, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
  await fake?.close();
});

async function postJob(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${publicUrl}/v1/jobs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('luma keyframes from a stored image', () => {
  it('reads MEDIAGATE_PUBLIC_URL as a base URL (a path prefix kept, trailing slashes dropped) and refuses anything else', () => {
    expect(loadSettings({}).publicUrl).toBeUndefined();
    expect(loadSettings({ MEDIAGATE_PUBLIC_URL: 'https://media.example.com/gateway/' }).publicUrl).toBe('https://media.example.com/gateway');
    for (const bad of ['media.example.com', 'ftp://media.example.com', 'https://media.example.com/?a=1']) {
      expect(() => loadSettings({ MEDIAGATE_PUBLIC_URL: bad })).toThrow(/^MEDIAGATE_PUBLIC_URL: ".*" is not an http\(s\) base URL like https:\/\/mediagate\.example\.com$/);
    }
    expect(referenceLinkSeconds(15 * 60_000)).toBe(3600);
    expect(referenceLinkSeconds(2 * 3600_000)).toBe(2 * 3600 + 600);
  });

  it('sends frame0 as a signed link to this server, which the fake fetches for the exact image bytes', async () => {
    const file = path.join(harness.settings.home, 'harbor.png');
    await writeFile(file, pngImage(320, 180, 7));
    const asset = await importImageFile(harness.runtime, defaultTenantId, file);
    const stored = await readFile(file);

    const before = Math.floor(Date.now() / 1000);
    const created = await postJob({ kind: 'video', model: 'luma/ray-2', prompt: 'waves against a harbor wall', image_asset_ids: [asset.id], params: { aspect_ratio: '16:9' } });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const job = await harness.waitFor(String(created.json.id));
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const output = await harness.runtime.repo.getAsset(job.outputAssetIds[0] ?? '');
    expect(output).toMatchObject({ mime: 'video/mp4', width: 1280, height: 720 });

    const posts = fake.requests.filter((request) => request.method === 'POST' && request.path === '/dream-machine/v1/generations');
    expect(posts).toHaveLength(1);
    const body = JSON.parse(posts[0]?.body.toString() ?? '{}') as { keyframes: { frame0: { url: string } } };
    const link = body.keyframes.frame0.url;
    expect(body).toEqual({
      model: 'ray-2',
      prompt: 'waves against a harbor wall',
      aspect_ratio: '16:9',
      resolution: '720p',
      duration: '5s',
      keyframes: { frame0: { type: 'image', url: link } },
    });
    const url = new URL(link);
    expect(`${url.origin}${url.pathname}`).toBe(`${publicUrl}/v1/assets/${asset.id}/content`);
    expect(url.searchParams.get('signature')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expires = Number(url.searchParams.get('expires'));
    expect(expires - before).toBeGreaterThanOrEqual(referenceLinkSeconds(attemptTimeoutMs));
    expect(expires - before).toBeLessThanOrEqual(referenceLinkSeconds(attemptTimeoutMs) + 60);

    // Luma's fake fetched the link without a key and got the stored image itself.
    expect(fake.keyframes).toHaveLength(1);
    expect(fake.keyframes[0]).toMatchObject({ frame: 'frame0', url: link, status: 200, contentType: 'image/png' });
    expect(fake.keyframes[0]?.bytes.equals(stored)).toBe(true);
    // An altered link is refused by the API.
    const altered = await fetch(link.replace(/expires=\d+/, `expires=${expires + 1}`));
    expect(altered.status).toBe(403);
  });

  it('without MEDIAGATE_PUBLIC_URL refuses the reference image with a 400 that says what to set', async () => {
    const file = path.join(harness.settings.home, 'still.png');
    await writeFile(file, pngImage(64, 64, 3));
    const asset = await importImageFile(harness.runtime, defaultTenantId, file);
    const posted = fake.requests.length;
    harness.runtime.settings.publicUrl = undefined;
    try {
      const refused = await postJob({ kind: 'video', model: 'luma/ray-2', prompt: 'still water', image_asset_ids: [asset.id] });
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ error: { field: 'image' } });
      expect(String((refused.json.error as { message: string }).message)).toContain('set MEDIAGATE_PUBLIC_URL');
    } finally {
      harness.runtime.settings.publicUrl = publicUrl;
    }
    expect(fake.requests).toHaveLength(posted);
  });
});
