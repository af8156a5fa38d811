// Runway's entry in the shared conformance suite: its fake, the adapter pointed at it, and cases.
import type { ConformanceSubject } from '../subject.ts';
import { createRunwayProvider } from '../../../packages/providers/src/runway/runway-provider.ts';
import { runwayBadKey, runwayGoodKey, startRunwayFake } from './server.ts';

export const subject: ConformanceSubject = {
  provider: 'runway',
  start: () => startRunwayFake(),
  adapter: (fake) => createRunwayProvider({ baseURL: fake.url, pollIntervalMs: 50, attemptTimeoutMs: 20_000, requestTimeoutMs: 5_000 }),
  key: { id: 'runway-main', secret: runwayGoodKey },
  badKey: { id: 'runway-revoked', secret: runwayBadKey },
  cases: [
    { name: 'text to image', request: { kind: 'image', model: 'runway/gen4_image', prompt: 'a lighthouse at dusk', params: { aspect_ratio: '1:1' } }, async: true, mime: 'image/png' },
    { name: 'text to video', request: { kind: 'video', model: 'runway/gen4.5', prompt: 'waves on a beach', params: { duration: 2 } }, async: true, mime: 'video/mp4' },
  ],
  cancel: true,
};
