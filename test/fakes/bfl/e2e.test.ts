// `mediagate generate` with the Black Forest Labs provider end to end: the real CLI in a child
// process, its base URL and key from the environment, the BFL fake behind it (submit, poll, signed
// sample URL downloaded through the URL guard), a verified JPEG on disk.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCliHome, type CliHome } from '../../support/cli.ts';
import type { FakeProvider } from '../subject.ts';
import { bflGoodKey, startBflFake } from './server.ts';

let cli: CliHome;
let fake: FakeProvider;

beforeAll(async () => {
  [cli, fake] = await Promise.all([createCliHome(), startBflFake()]);
});
afterAll(async () => {
  await fake?.close();
  await cli?.cleanup();
});

it('generates a FLUX image: submit, poll the polling_url, download the sample at once', async () => {
  const env = {
    MEDIAGATE_BASE_URL_BFL: fake.url,
    MEDIAGATE_KEYS_BFL: `main=${bflGoodKey}`,
    MEDIAGATE_FETCH_ALLOW: `127.0.0.1:${new URL(fake.url).port}`,
  };
  const result = await cli.run(['generate', 'image', 'a red fox in autumn', '--provider', 'bfl/flux-pro-1.1', '--size', '832x1216', '-o', 'fox.jpg', '--json'], { env });
  expect(result.code, result.stderr).toBe(0);
  const summary = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
  expect(summary).toMatchObject({ status: 'succeeded', provider: 'bfl', model: 'flux-pro-1.1', mime: 'image/jpeg', width: 832, height: 1216, cost: 0.04 });
  const meta = await sharp(await readFile(path.join(cli.workDir, 'fox.jpg'))).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 832, 1216]);
  const seen = fake.requests.map((request) => `${request.method} ${request.path.replace(/[0-9a-f-]{36}/, '<id>')}`);
  expect(seen[0]).toBe('POST /v1/flux-pro-1.1');
  expect(seen).toContain('GET /v1/get_result?id=<id>');
  expect(seen.at(-1)).toMatch(/^GET \/files\/out-\d+\.jpeg$/);
  expect(fake.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
  expect(result.stdout + result.stderr).not.toContain(bflGoodKey);
}, 120_000);
