// ElevenLabs' conformance subject: the adapter pointed at the fake, MP3 and WAV speech.
import { createElevenLabsProvider } from '@mediagate/providers';
import type { ConformanceSubject } from '../subject.ts';
import { startElevenLabsFake } from './server.ts';

export const elevenlabsKey = { id: 'el-main', secret: 'sk_fake_elevenlabs_main_0123456789abcdef' };
export const elevenlabsBadKey = { id: 'el-old', secret: 'sk_fake_elevenlabs_old_fedcba9876543210' };

const notApplicable = {
  content_policy: 'text-to-speech has no documented content-policy refusal',
  expired_output: 'the audio is the answer itself, there is no output URL',
};

export const subject: ConformanceSubject = {
  provider: 'elevenlabs',
  start: () => startElevenLabsFake({ keys: [elevenlabsKey.secret] }),
  adapter: (fake) => createElevenLabsProvider({ baseURL: fake.url }),
  key: elevenlabsKey,
  badKey: elevenlabsBadKey,
  cancel: false,
  cases: [
    {
      name: 'eleven_multilingual_v2 mp3',
      request: { kind: 'speech', model: 'elevenlabs/eleven_multilingual_v2', prompt: 'Good evening, and welcome.', params: { voice: '21m00Tcm4TlvDq8ikWAM' } },
      async: false,
      mime: 'audio/mpeg',
      notApplicable,
    },
    {
      name: 'eleven_flash_v2_5 wav',
      request: { kind: 'speech', model: 'elevenlabs/eleven_flash_v2_5', prompt: 'Short and quick.', params: { format: 'wav', speed: 1.1 } },
      async: false,
      mime: 'audio/wav',
      notApplicable,
    },
  ],
};
