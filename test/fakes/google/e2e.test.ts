// `mediagate generate` with the Google provider end to end: the real CLI in a child process, its
// base URL and key from the environment, the Gemini API fake behind it, a verified PNG on disk.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCliHome, type CliHome } from '../../support/cli.ts';
import type { FakeProvider } from '../subject.ts';
import { googleGoodKey, startGoogleFake } from './server.ts';

let cli: CliHome;
let fake: FakeProvider;

beforeAll(async () => {
  [cli, fake] = await Promise.all([createCliHome(), startGoogleFake()]);
});
afterAll(async () => {
  await fake?.close();
  await cli?.cleanup();
});

it('generates a Gemini image through the Gemini API and stores the verified PNG', async () => {
  const env = {
    MEDIAGATE_BASE_URL_GOOGLE: `${fake.url}/v1beta`,
    MEDIAGATE_KEYS_GOOGLE: `studio=${googleGoodKey}`,
    MEDIAGATE_FETCH_ALLOW: `127.0.0.1:${new URL(fake.url).port}`,
  };
  const result = await cli.run(['generate', 'image', 'a lighthouse at dusk', '--provider', 'google/gemini-2.5-flash-image', '--aspect', '16:9', '-o', 'lighthouse.png', '--json'], { env });
  expect(result.code, result.stderr).toBe(0);
  const summary = JSON.parse(result.stdout.trim()) as { status: string; provider: string; model: string; mime: string; width: number; height: number; cost: number };
  expect(summary).toMatchObject({ status: 'succeeded', provider: 'google', model: 'gemini-2.5-flash-image', mime: 'image/png', width: 1344, height: 768, cost: 0.039 });
  const meta = await sharp(await readFile(path.join(cli.workDir, 'lighthouse.png'))).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(['png', 1344, 768]);
  const calls = fake.requests.filter((request) => request.method === 'POST');
  expect(calls.map((request) => request.path)).toEqual(['/v1beta/models/gemini-2.5-flash-image:generateContent']);
  expect(calls[0]?.headers['x-goog-api-key']).toBe(googleGoodKey);
  expect(result.stdout + result.stderr).not.toContain(googleGoodKey);
}, 120_000);
