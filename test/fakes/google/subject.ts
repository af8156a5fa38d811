// Google's entry in the shared conformance suite: the Gemini API fake, the adapter pointed at it,
// and one case per kind (image and speech answer inline, Veo through a polled operation).
import { createGoogleProvider } from '../../../packages/providers/src/google/provider.ts';
import type { ConformanceSubject } from '../subject.ts';
import { googleBadKey, googleGoodKey, startGoogleFake } from './server.ts';

const inline = { expired_output: 'the media comes back inline (base64), there is no URL to expire' };

export const subject: ConformanceSubject = {
  provider: 'google',
  start: () => startGoogleFake(),
  adapter: (fake) => createGoogleProvider({ baseURL: `${fake.url}/v1beta`, pollIntervalMs: 50, attemptTimeoutMs: 20_000, requestTimeoutMs: 10_000 }),
  key: { id: 'google-main', secret: googleGoodKey },
  badKey: { id: 'google-revoked', secret: googleBadKey },
  cases: [
    {
      name: 'gemini image',
      request: { kind: 'image', model: 'google/gemini-2.5-flash-image', prompt: 'a lighthouse at dusk', params: { aspect_ratio: '1:1' } },
      async: false,
      mime: 'image/png',
      notApplicable: inline,
    },
    {
      name: 'veo video',
      request: { kind: 'video', model: 'google/veo-3.1-fast-generate-preview', prompt: 'waves on a beach', params: { duration: 4, aspect_ratio: '16:9' } },
      async: true,
      mime: 'video/mp4',
    },
    {
      name: 'gemini speech',
      request: { kind: 'speech', model: 'google/gemini-2.5-flash-preview-tts', prompt: 'Welcome to the harbour tour.', params: { voice: 'Puck' } },
      async: false,
      mime: 'audio/wav',
      notApplicable: inline,
    },
  ],
  cancel: false,
};
