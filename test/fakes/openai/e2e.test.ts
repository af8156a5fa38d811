// `mediagate` with the OpenAI provider end to end: the real CLI in a child process, its base URL
// and key from the environment, the OpenAI fake behind it (its videos done at the first poll, as
// the adapter polls every 5 s) — a Sora video polled, downloaded
// through the URL guard and verified; `providers` listing every cloud provider without keys.
import { expect, it } from 'vitest';
import { probe } from '../../support/cli.ts';
import { cliWithFake, itGenerates } from '../e2e.ts';
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
