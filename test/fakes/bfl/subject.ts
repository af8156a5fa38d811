// Black Forest Labs' entry in the shared conformance suite: the fake, the adapter pointed at it,
// and a FLUX text-to-image case (every BFL task is submitted, then polled at its polling_url).
import { createBflProvider } from '../../../packages/providers/src/bfl/provider.ts';
import type { ConformanceSubject } from '../subject.ts';
import { bflBadKey, bflGoodKey, startBflFake } from './server.ts';

export const subject: ConformanceSubject = {
  provider: 'bfl',
  start: () => startBflFake(),
  adapter: (fake) => createBflProvider({ baseURL: fake.url, pollIntervalMs: 50, attemptTimeoutMs: 20_000, requestTimeoutMs: 10_000 }),
  key: { id: 'bfl-main', secret: bflGoodKey },
  badKey: { id: 'bfl-revoked', secret: bflBadKey },
  cases: [
    {
      name: 'flux pro 1.1',
      request: { kind: 'image', model: 'bfl/flux-pro-1.1', prompt: 'a lighthouse at dusk', params: { aspect_ratio: '16:9', format: 'jpeg' } },
      async: true,
      mime: 'image/jpeg',
    },
  ],
  cancel: false,
};
