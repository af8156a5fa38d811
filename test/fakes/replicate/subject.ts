// Replicate's entry in the shared conformance suite: its fake, the adapter (official client) pointed at it.
import type { ConformanceSubject } from '../subject.ts';
import { createReplicateProvider } from '../../../packages/providers/src/replicate/replicate-provider.ts';
import { replicateBadToken, replicateGoodToken, startReplicateFake } from './server.ts';

export const subject: ConformanceSubject = {
  provider: 'replicate',
  start: () => startReplicateFake(),
  adapter: (fake) => createReplicateProvider({ baseURL: `${fake.url}/v1`, pollIntervalMs: 50, attemptTimeoutMs: 20_000, requestTimeoutMs: 5_000 }),
  key: { id: 'replicate-main', secret: replicateGoodToken },
  badKey: { id: 'replicate-revoked', secret: replicateBadToken },
  cases: [
    { name: 'flux image', request: { kind: 'image', model: 'replicate/black-forest-labs/flux-schnell', prompt: 'a green teapot', params: { format: 'png' } }, async: true, mime: 'image/png' },
    { name: 'wan video', request: { kind: 'video', model: 'replicate/wan-video/wan-2.7-t2v', prompt: 'rain on a window', params: { duration: 2, aspect_ratio: '1:1' } }, async: true, mime: 'video/mp4' },
  ],
  cancel: true,
};
