// OpenAI's conformance subject: the adapter pointed at the fake, with one case per kind.
import { createOpenAIProvider } from '@mediagate/providers';
import type { ConformanceSubject } from '../subject.ts';
import { startOpenAIFake } from './server.ts';

export const openaiKey = { id: 'oa-main', secret: 'sk-proj-fake-main-0123456789' };
export const openaiBadKey = { id: 'oa-revoked', secret: 'sk-proj-fake-revoked-9876543210' };

export const subject: ConformanceSubject = {
  provider: 'openai',
  start: () => startOpenAIFake({ keys: [openaiKey.secret] }),
  adapter: (fake) => createOpenAIProvider({ baseURL: fake.url, pollIntervalMs: 25 }),
  key: openaiKey,
  badKey: openaiBadKey,
  cancel: false,
  cases: [
    {
      name: 'gpt-image-1 text-to-image',
      request: { kind: 'image', model: 'openai/gpt-image-1', prompt: 'a lighthouse at dusk', params: { aspect_ratio: '3:2', quality: 'low' } },
      async: false,
      mime: 'image/png',
      notApplicable: { expired_output: 'GPT image models answer base64 inline, no URL to expire' },
    },
    {
      name: 'sora-2 text-to-video',
      request: { kind: 'video', model: 'openai/sora-2', prompt: 'waves on a pier', params: { aspect_ratio: '16:9', duration: 4 } },
      async: true,
      mime: 'video/mp4',
    },
    {
      name: 'tts-1 speech',
      request: { kind: 'speech', model: 'openai/tts-1', prompt: 'Welcome to the show.', params: { voice: 'nova' } },
      async: false,
      mime: 'audio/mpeg',
      notApplicable: {
        content_policy: 'the speech endpoint has no content-policy refusal',
        expired_output: 'speech is answered as the audio bytes themselves',
      },
    },
  ],
};
