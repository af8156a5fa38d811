// fal's entry in the shared conformance suite: its fake, the adapter (official client) pointed at it.
import type { ConformanceSubject } from '../subject.ts';
import { createFalProvider } from '../../../packages/providers/src/fal/fal-provider.ts';
import { falBadKey, falGoodKey, startFalFake } from './server.ts';

export const subject: ConformanceSubject = {
  provider: 'fal',
  start: () => startFalFake(),
  adapter: (fake) => createFalProvider({ baseURL: fake.url, pollIntervalMs: 50, attemptTimeoutMs: 20_000, requestTimeoutMs: 5_000 }),
  key: { id: 'fal-main', secret: falGoodKey },
  badKey: { id: 'fal-revoked', secret: falBadKey },
  cases: [
    { name: 'flux image', request: { kind: 'image', model: 'fal/flux/schnell', prompt: 'a brass compass', params: { aspect_ratio: '4:3' } }, async: true, mime: 'image/jpeg' },
    { name: 'kling video', request: { kind: 'video', model: 'fal/kling-video/v2.1/master', prompt: 'a kite in wind', params: { aspect_ratio: '9:16' } }, async: true, mime: 'video/mp4' },
    { name: 'wan video', request: { kind: 'video', model: 'fal/wan/v2.2-a14b', prompt: 'a kite over dunes', params: { width: 480, height: 480, duration: 1 } }, async: true, mime: 'video/mp4' },
  ],
  // fal stops only requests still waiting in the queue, not work already started.
  cancel: false,
};
