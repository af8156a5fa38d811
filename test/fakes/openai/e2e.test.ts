// `mediagate` with the OpenAI provider end to end: the real CLI in a child process, its base URL
// and key from the environment, the OpenAI fake behind it (its videos done at the first poll, as
// the adapter polls every 5 s) — a Sora video polled, downloaded
// through the URL guard and verified, then remixed (--remix-of); an image edited with a mask
// (--mask); `providers` listing every cloud provider without keys.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { probe } from '../../support/cli.ts';
import { cliWithFake, expectImage, itGenerates } from '../e2e.ts';
import { image } from './media.ts';
import { startOpenAIFake } from './server.ts';
import { openaiKey } from './subject.ts';

const e2e = cliWithFake(() => startOpenAIFake({ keys: [openaiKey.secret], pollsToComplete: 1 }));

itGenerates(e2e, {
  title: 'generates a Sora video through the Videos API and stores the verified MP4',
  provider: 'openai',
  keys: `${openaiKey.id}=${openaiKey.secret}`,
  secret: openaiKey.secret,
  args: ['video', 'waves on a pier', '--provider', 'openai/sora-2', '--aspect', '16:9', '--duration', '4'],
  file: 'pier.mp4',
  runTimeoutMs: 110_000,
  summary: { status: 'succeeded', provider: 'openai', model: 'sora-2', mime: 'video/mp4', width: 1280, height: 720 },
  async media(file) {
    const media = await probe(file);
    expect(media.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    expect(media.duration).toBeCloseTo(4, 0);
  },
  requests(requests) {
    const calls = requests.map((request) => `${request.method} ${request.path.replace(/video_\w+/, 'ID')}`);
    expect(calls[0]).toBe('POST /v1/videos');
    expect(calls.filter((call) => call === 'POST /v1/videos')).toHaveLength(1);
    expect(calls.at(-1)).toBe('GET /v1/videos/ID/content');
    expect(requests.every((request) => request.headers.authorization === `Bearer ${openaiKey.secret}`)).toBe(true);
  },
});

it('remixes that kind of video with --remix-of and edits an image with --image and --mask', async () => {
  const { cli, fake } = e2e;
  const env = {
    MEDIAGATE_BASE_URL_OPENAI: fake.url,
    MEDIAGATE_KEYS_OPENAI: `${openaiKey.id}=${openaiKey.secret}`,
    MEDIAGATE_FETCH_ALLOW: `127.0.0.1:${new URL(fake.url).port}`,
  };
  const first = await cli.run(['generate', 'video', 'a kite', '--provider', 'openai/sora-2', '--aspect', '9:16', '--duration', '4', '-o', 'kite.mp4', '--json'], { env, timeoutMs: 110_000 });
  expect(first.code, first.stderr).toBe(0);
  const source = JSON.parse(first.stdout) as { jobId: string };
  const sourceVideo = fake.requests.filter((request) => request.method === 'GET' && /^\/v1\/videos\/video_\w+$/.test(request.path)).at(-1)?.path.split('/').at(-1);
  const before = fake.requests.length;
  const remix = await cli.run(['generate', 'video', 'a kite at dusk', '--remix-of', source.jobId, '-o', 'dusk.mp4', '--json'], { env, timeoutMs: 110_000 });
  expect(remix.code, remix.stderr).toBe(0);
  // The remix keeps the source's 9:16 and 4 s, and is priced as such.
  expect(JSON.parse(remix.stdout)).toMatchObject({ status: 'succeeded', provider: 'openai', model: 'sora-2', mime: 'video/mp4', width: 720, height: 1280, cost: 0.4 });
  const media = await probe(path.join(cli.workDir, 'dusk.mp4'));
  expect(media.video).toMatchObject({ codec: 'h264', width: 720, height: 1280 });
  const sent = fake.requests.slice(before).filter((request) => request.method === 'POST');
  expect(sent.map((request) => request.path)).toEqual([`/v1/videos/${sourceVideo}/remix`]);
  expect(JSON.parse(sent[0]?.body.toString('utf8') ?? '')).toEqual({ prompt: 'a kite at dusk' });

  await writeFile(path.join(cli.workDir, 'room.png'), await image(96, 64, 'png', 2));
  const pixels = Buffer.alloc(96 * 64 * 4, 255);
  for (let index = 3; index < pixels.length; index += 8) pixels[index] = 0;
  await writeFile(path.join(cli.workDir, 'room-mask.png'), await sharp(pixels, { raw: { width: 96, height: 64, channels: 4 } }).png().toBuffer());
  const edited = await cli.run(
    ['generate', 'image', 'a lamp in the room', '--provider', 'openai/gpt-image-1', '--image', 'room.png', '--mask', 'room-mask.png', '--aspect', '1:1', '-o', 'lamp.png', '--json'],
    { env, timeoutMs: 60_000 },
  );
  expect(edited.code, edited.stderr).toBe(0);
  await expectImage(path.join(cli.workDir, 'lamp.png'), 'png', 1024, 1024);
  const edit = fake.requests.filter((request) => request.path === '/v1/images/edits').at(-1);
  const form = await fake.form(edit as NonNullable<typeof edit>);
  expect(Buffer.from(await (form.get('mask') as File).arrayBuffer()).equals(await readFile(path.join(cli.workDir, 'room-mask.png')))).toBe(true);

  const unmasked = await cli.run(['generate', 'image', 'x', '--provider', 'local/card', '--image', 'room.png', '--mask', 'room-mask.png', '--json'], { env, timeoutMs: 60_000 });
  expect(unmasked.code).toBe(2);
  expect(unmasked.stdout + unmasked.stderr).toContain('local/card takes no mask');
}, 300_000);

it('lists cloud providers with capabilities and key status when no key is configured, and fails a job on one clearly', async () => {
  const { cli, fake } = e2e;
  const listed = await cli.run(['providers', '--json'], { timeoutMs: 60_000 });
  expect(listed.code, listed.stderr).toBe(0);
  const providers = JSON.parse(listed.stdout) as { id: string; requires_key: boolean; keys: unknown[]; models: { id: string; capabilities: { kind: string; deprecated?: string } }[] }[];
  const openai = providers.find((provider) => provider.id === 'openai');
  expect(openai).toMatchObject({ requires_key: true, keys: [] });
  expect(openai?.models.find((model) => model.id === 'openai/sora-2')?.capabilities).toMatchObject({ kind: 'video', deprecated: expect.stringContaining('2026-09-24') });
  expect(providers.find((provider) => provider.id === 'elevenlabs')?.models.map((model) => model.id)).toContain('elevenlabs/eleven_multilingual_v2');
  const text = await cli.run(['providers'], { timeoutMs: 60_000 });
  expect(text.stdout).toMatch(/^openai — OpenAI \[.*\] \(no keys\)$/m);
  expect(text.stdout).toMatch(/^ {2}openai\/sora-2 +video +text-to-video, image-to-video \(async, deprecated\)$/m);

  const env = { MEDIAGATE_BASE_URL_OPENAI: fake.url };
  const before = fake.requests.length;
  const failed = await cli.run(['generate', 'speech', 'Hello.', '--provider', 'openai/tts-1', '-o', 'hello.mp3', '--json'], { env, timeoutMs: 60_000 });
  expect(failed.code).not.toBe(0);
  expect(failed.stdout + failed.stderr).toContain('MEDIAGATE_KEYS_OPENAI');
  expect(fake.requests.length).toBe(before);
}, 150_000);
