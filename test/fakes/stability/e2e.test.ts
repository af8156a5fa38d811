// `mediagate generate` with the Stability provider end to end: the real CLI in a child process, its
// base URL and key from the environment, the Stability fake behind it, a verified image on disk.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCliHome, type CliHome } from '../../support/cli.ts';
import type { FakeProvider } from '../subject.ts';
import { stabilityGoodKey, startStabilityFake } from './server.ts';

let cli: CliHome;
let fake: FakeProvider;

beforeAll(async () => {
  [cli, fake] = await Promise.all([createCliHome(), startStabilityFake()]);
});
afterAll(async () => {
  await fake?.close();
  await cli?.cleanup();
});

it('generates a Stable Image Core picture and stores the verified file', async () => {
  const env = {
    MEDIAGATE_BASE_URL_STABILITY: fake.url,
    MEDIAGATE_KEYS_STABILITY: `main=${stabilityGoodKey}`,
    MEDIAGATE_FETCH_ALLOW: `127.0.0.1:${new URL(fake.url).port}`,
  };
  const result = await cli.run(['generate', 'image', 'a lighthouse at dusk', '--provider', 'stability/core', '--aspect', '9:16', '-o', 'lighthouse.png', '--json'], { env });
  expect(result.code, result.stderr).toBe(0);
  const summary = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
  expect(summary).toMatchObject({ status: 'succeeded', provider: 'stability', model: 'core', mime: 'image/png', width: 768, height: 1344, cost: 0.03 });
  const meta = await sharp(await readFile(path.join(cli.workDir, 'lighthouse.png'))).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(['png', 768, 1344]);
  const calls = fake.requests.filter((request) => request.method === 'POST');
  expect(calls.map((request) => `${request.path} ${request.headers.accept}`)).toEqual(['/v2beta/stable-image/generate/core image/*']);
  expect(result.stdout + result.stderr).not.toContain(stabilityGoodKey);
}, 120_000);
