// `mediagate generate` with ElevenLabs end to end: the real CLI in a child process, its base URL
// and key from the environment, the ElevenLabs fake behind it, a verified MP3 on disk.
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCliHome, probe, type CliHome } from '../../support/cli.ts';
import type { FakeProvider } from '../subject.ts';
import { startElevenLabsFake } from './server.ts';
import { elevenlabsKey } from './subject.ts';

let cli: CliHome;
let fake: FakeProvider;

beforeAll(async () => {
  [cli, fake] = await Promise.all([createCliHome(), startElevenLabsFake({ keys: [elevenlabsKey.secret] })]);
});
afterAll(async () => {
  await fake?.close();
  await cli?.cleanup();
});

it('speaks a script with an ElevenLabs voice and stores the verified MP3', async () => {
  const env = {
    MEDIAGATE_BASE_URL_ELEVENLABS: fake.url,
    MEDIAGATE_KEYS_ELEVENLABS: `${elevenlabsKey.id}=${elevenlabsKey.secret}`,
  };
  const script = 'Thanks for listening, and see you next week on the show.';
  const args = ['generate', 'speech', script, '--provider', 'elevenlabs/eleven_turbo_v2_5', '--voice', 'pFZP5JQG7iQjIQuC4Bku', '--speed', '1.1', '-o', 'outro.mp3', '--json'];
  const result = await cli.run(args, { env, timeoutMs: 90_000 });
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout.trim())).toMatchObject({ status: 'succeeded', provider: 'elevenlabs', model: 'eleven_turbo_v2_5', mime: 'audio/mpeg' });
  const media = await probe(path.join(cli.workDir, 'outro.mp3'));
  expect(media.audio?.codec).toBe('mp3');
  // The fake speaks about 15 characters a second.
  expect(media.duration).toBeGreaterThan(3);
  const [call, ...rest] = fake.requests;
  expect(rest).toHaveLength(0);
  expect(`${call?.method} ${call?.path}`).toBe('POST /v1/text-to-speech/pFZP5JQG7iQjIQuC4Bku?output_format=mp3_44100_128');
  expect(call?.headers['xi-api-key']).toBe(elevenlabsKey.secret);
  expect(JSON.parse(call?.body.toString() ?? '{}')).toEqual({ text: script, model_id: 'eleven_turbo_v2_5', voice_settings: { speed: 1.1 } });
  expect(result.stdout + result.stderr).not.toContain(elevenlabsKey.secret);
}, 120_000);
