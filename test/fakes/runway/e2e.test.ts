// `mediagate generate` with Runway end to end: the real CLI in a child process (polling at Runway's
// documented 5 s), its base URL and key from the environment, the Runway fake behind it, a verified PNG.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCliHome, type CliHome } from '../../support/cli.ts';
import type { FakeProvider } from '../subject.ts';
import { runwayGoodKey, startRunwayFake } from './server.ts';

let cli: CliHome;
let fake: FakeProvider;

beforeAll(async () => {
  [cli, fake] = await Promise.all([createCliHome(), startRunwayFake()]);
});
afterAll(async () => {
  await fake?.close();
  await cli?.cleanup();
});

it('generates a gen4_image picture and stores the verified file', async () => {
  const env = {
    MEDIAGATE_BASE_URL_RUNWAY: fake.url,
    MEDIAGATE_KEYS_RUNWAY: `main=${runwayGoodKey}`,
    MEDIAGATE_FETCH_ALLOW: `127.0.0.1:${new URL(fake.url).port}`,
  };
  const result = await cli.run(['generate', 'image', 'a lighthouse at dusk', '--provider', 'runway/gen4_image', '--aspect', '1:1', '--seed', '7', '-o', 'lighthouse.png', '--json'], { env });
  expect(result.code, result.stderr).toBe(0);
  const summary = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
  expect(summary).toMatchObject({ status: 'succeeded', provider: 'runway', model: 'gen4_image', mime: 'image/png', width: 1024, height: 1024, cost: 0.08 });
  const meta = await sharp(await readFile(path.join(cli.workDir, 'lighthouse.png'))).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(['png', 1024, 1024]);
  const created = fake.requests.filter((request) => request.method === 'POST');
  expect(created.map((request) => request.path)).toEqual(['/v1/text_to_image']);
  expect(JSON.parse(created[0]?.body.toString() ?? '')).toEqual({ model: 'gen4_image', promptText: 'a lighthouse at dusk', ratio: '1024:1024', seed: 7 });
  const polls = fake.requests.filter((request) => request.method === 'GET' && request.path.startsWith('/v1/tasks/'));
  expect(polls.length).toBeGreaterThanOrEqual(1);
  expect(result.stdout + result.stderr).not.toContain(runwayGoodKey);
}, 120_000);
