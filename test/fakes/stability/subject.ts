// Stability AI's entry in the shared conformance suite: the fake, the adapter pointed at it, and
// a text-to-image case (every Stable Image call is synchronous and answers with the bytes).
import { createStabilityProvider } from '../../../packages/providers/src/stability/provider.ts';
import type { ConformanceSubject } from '../subject.ts';
import { stabilityBadKey, stabilityGoodKey, startStabilityFake } from './server.ts';

export const subject: ConformanceSubject = {
  provider: 'stability',
  start: () => startStabilityFake(),
  adapter: (fake) => createStabilityProvider({ baseURL: fake.url, attemptTimeoutMs: 20_000, requestTimeoutMs: 10_000 }),
  key: { id: 'stability-main', secret: stabilityGoodKey },
  badKey: { id: 'stability-revoked', secret: stabilityBadKey },
  cases: [
    {
      name: 'stable image core',
      request: { kind: 'image', model: 'stability/core', prompt: 'a lighthouse at dusk', params: { aspect_ratio: '16:9', format: 'png' } },
      async: false,
      mime: 'image/png',
      notApplicable: { expired_output: 'the image bytes are the response body, there is no URL to expire' },
    },
  ],
  cancel: false,
};
