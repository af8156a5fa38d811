// `mediagate generate` with Replicate end to end: the real CLI in a child process, its base URL and
// token from the environment, the Replicate fake behind the official client, a verified MP4.
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCliHome, probe, type CliHome } from '../../support/cli.ts';
import type { FakeProvider } from '../subject.ts';
import { replicateGoodToken, startReplicateFake } from './server.ts';

let cli: CliHome;
let fake: FakeProvider;

beforeAll(async () => {
  [cli, fake] = await Promise.all([createCliHome(), startReplicateFake()]);
});
afterAll(async () => {
  await fake?.close();
  await cli?.cleanup();
});

it('generates a Wan 2.7 video and stores the verified file', async () => {
  const env = {
    MEDIAGATE_BASE_URL_REPLICATE: `${fake.url}/v1`,
    MEDIAGATE_KEYS_REPLICATE: `main=${replicateGoodToken}`,
    MEDIAGATE_FETCH_ALLOW: `127.0.0.1:${new URL(fake.url).port}`,
  };
  const result = await cli.run(['generate', 'video', 'rain on a window', '--provider', 'replicate/wan-video/wan-2.7-t2v', '--aspect', '1:1', '--duration', '2', '-o', 'rain.mp4', '--json'], { env });
  expect(result.code, result.stderr).toBe(0);
  const summary = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
  expect(summary).toMatchObject({ status: 'succeeded', provider: 'replicate', model: 'wan-video/wan-2.7-t2v', mime: 'video/mp4', width: 720, height: 720, cost: 0.2 });
  const media = await probe(path.join(cli.workDir, 'rain.mp4'));
  expect(media.video).toMatchObject({ codec: 'h264', width: 720, height: 720 });
  expect(media.duration).toBeGreaterThan(1.5);
  const created = fake.requests.filter((request) => request.method === 'POST');
  expect(created.map((request) => request.path)).toEqual(['/v1/models/wan-video/wan-2.7-t2v/predictions']);
  expect(created[0]?.headers['cancel-after']).toMatch(/^\d+s$/);
  expect(result.stdout + result.stderr).not.toContain(replicateGoodToken);
}, 120_000);
