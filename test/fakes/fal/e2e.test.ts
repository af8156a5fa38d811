// `mediagate generate` with fal end to end: the real CLI in a child process, its queue base URL and
// key from the environment, the fal fake behind the official client, a verified JPEG on disk.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCliHome, type CliHome } from '../../support/cli.ts';
import type { FakeProvider } from '../subject.ts';
import { falGoodKey, startFalFake } from './server.ts';

let cli: CliHome;
let fake: FakeProvider;

beforeAll(async () => {
  [cli, fake] = await Promise.all([createCliHome(), startFalFake()]);
});
afterAll(async () => {
  await fake?.close();
  await cli?.cleanup();
});

it('generates a Flux schnell image through the queue and stores the verified file', async () => {
  const env = {
    MEDIAGATE_BASE_URL_FAL: fake.url,
    MEDIAGATE_KEYS_FAL: `main=${falGoodKey}`,
    MEDIAGATE_FETCH_ALLOW: `127.0.0.1:${new URL(fake.url).port}`,
  };
  const result = await cli.run(['generate', 'image', 'a brass compass', '--provider', 'fal/flux/schnell', '--aspect', '16:9', '-o', 'compass.jpg', '--json'], { env });
  expect(result.code, result.stderr).toBe(0);
  const summary = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
  expect(summary).toMatchObject({ status: 'succeeded', provider: 'fal', model: 'flux/schnell', mime: 'image/jpeg', width: 1024, height: 576, cost: 0.003 });
  const meta = await sharp(await readFile(path.join(cli.workDir, 'compass.jpg'))).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 1024, 576]);
  const submits = fake.requests.filter((request) => request.method === 'POST');
  expect(submits.map((request) => `${request.path} ${request.headers.authorization}`)).toEqual([`/fal-ai/flux/schnell Key ${falGoodKey}`]);
  expect(JSON.parse(submits[0]?.body.toString() ?? '')).toMatchObject({ image_size: 'landscape_16_9', output_format: 'jpeg' });
  expect(result.stdout + result.stderr).not.toContain(falGoodKey);
}, 120_000);
