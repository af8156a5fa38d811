// Luma's entry in the shared conformance suite: its fake, the adapter pointed at it, and cases.
import type { ConformanceSubject } from '../subject.ts';
import { createLumaProvider } from '../../../packages/providers/src/luma/luma-provider.ts';
import { lumaBadKey, lumaGoodKey, startLumaFake } from './server.ts';

export const subject: ConformanceSubject = {
  provider: 'luma',
  start: () => startLumaFake(),
  adapter: (fake) => createLumaProvider({ baseURL: `${fake.url}/dream-machine/v1`, pollIntervalMs: 50, attemptTimeoutMs: 20_000, requestTimeoutMs: 5_000 }),
  key: { id: 'luma-main', secret: lumaGoodKey },
  badKey: { id: 'luma-revoked', secret: lumaBadKey },
  cases: [
    { name: 'photon image', request: { kind: 'image', model: 'luma/photon-flash-1', prompt: 'a paper lantern', params: { aspect_ratio: '1:1' } }, async: true, mime: 'image/jpeg' },
    { name: 'ray video', request: { kind: 'video', model: 'luma/ray-flash-2', prompt: 'a paper boat drifting', params: { width: 960, height: 540 } }, async: true, mime: 'video/mp4' },
  ],
  cancel: true,
};
