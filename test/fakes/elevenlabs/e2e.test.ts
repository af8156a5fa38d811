// `mediagate generate` with ElevenLabs end to end: the real CLI in a child process, its base URL
// and key from the environment, the ElevenLabs fake behind it, a verified MP3 on disk.
import { expect } from 'vitest';
import { probe } from '../../support/cli.ts';
import { cliWithFake, itGenerates } from '../e2e.ts';
import { startElevenLabsFake } from './server.ts';
import { elevenlabsKey } from './subject.ts';

const script = 'Thanks for listening, and see you next week on the show.';

itGenerates(
  cliWithFake(() => startElevenLabsFake({ keys: [elevenlabsKey.secret] })),
  {
    title: 'speaks a script with an ElevenLabs voice and stores the verified MP3',
    provider: 'elevenlabs',
    keys: `${elevenlabsKey.id}=${elevenlabsKey.secret}`,
    secret: elevenlabsKey.secret,
    // The audio comes back in the response body: nothing is downloaded.
    downloads: false,
    args: ['speech', script, '--provider', 'elevenlabs/eleven_turbo_v2_5', '--voice', 'pFZP5JQG7iQjIQuC4Bku', '--speed', '1.1'],
    file: 'outro.mp3',
    runTimeoutMs: 90_000,
    summary: { status: 'succeeded', provider: 'elevenlabs', model: 'eleven_turbo_v2_5', mime: 'audio/mpeg' },
    async media(file) {
      const media = await probe(file);
      expect(media.audio?.codec).toBe('mp3');
      // The fake speaks about 15 characters a second.
      expect(media.duration).toBeGreaterThan(3);
    },
    requests([call, ...rest]) {
      expect(rest).toHaveLength(0);
      expect(`${call?.method} ${call?.path}`).toBe('POST /v1/text-to-speech/pFZP5JQG7iQjIQuC4Bku?output_format=mp3_44100_128');
      expect(call?.headers['xi-api-key']).toBe(elevenlabsKey.secret);
      expect(JSON.parse(call?.body.toString() ?? '{}')).toEqual({ text: script, model_id: 'eleven_turbo_v2_5', voice_settings: { speed: 1.1 } });
    },
  },
);
