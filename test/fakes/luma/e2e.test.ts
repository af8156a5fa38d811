// `mediagate generate` with Luma end to end: the real CLI in a child process, its base URL and key
// from the environment, the Luma fake behind it, a verified MP4 of the asked size and length.
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCliHome, probe, type CliHome } from '../../support/cli.ts';
import type { FakeProvider } from '../subject.ts';
import { lumaGoodKey, startLumaFake } from './server.ts';

let cli: CliHome;
let fake: FakeProvider;

beforeAll(async () => {
  [cli, fake] = await Promise.all([createCliHome(), startLumaFake()]);
});
afterAll(async () => {
  await fake?.close();
  await cli?.cleanup();
});

it('generates a Ray Flash 2 video and stores the verified file', async () => {
  const env = {
    MEDIAGATE_BASE_URL_LUMA: `${fake.url}/dream-machine/v1`,
    MEDIAGATE_KEYS_LUMA: `main=${lumaGoodKey}`,
    MEDIAGATE_FETCH_ALLOW: `127.0.0.1:${new URL(fake.url).port}`,
  };
  const result = await cli.run(['generate', 'video', 'a paper boat drifting', '--provider', 'luma/ray-flash-2', '--size', '960x540', '-o', 'boat.mp4', '--json'], { env });
  expect(result.code, result.stderr).toBe(0);
  const summary = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
  expect(summary).toMatchObject({ status: 'succeeded', provider: 'luma', model: 'ray-flash-2', mime: 'video/mp4', width: 960, height: 540, cost: 0.14 });
  const media = await probe(path.join(cli.workDir, 'boat.mp4'));
  expect(media.video).toMatchObject({ codec: 'h264', width: 960, height: 540 });
  expect(media.duration).toBeGreaterThan(4.5);
  const created = fake.requests.filter((request) => request.method === 'POST');
  expect(created.map((request) => JSON.parse(request.body.toString()) as unknown)).toEqual([
    { model: 'ray-flash-2', prompt: 'a paper boat drifting', aspect_ratio: '16:9', resolution: '540p', duration: '5s' },
  ]);
  expect(result.stdout + result.stderr).not.toContain(lumaGoodKey);
}, 120_000);
