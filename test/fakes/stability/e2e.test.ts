// `mediagate generate` with the Stability provider end to end: the real CLI in a child process, its
// base URL and key from the environment, the Stability fake behind it, a verified image on disk.
import { expect } from 'vitest';
import { cliWithFake, expectImage, itGenerates, posts } from '../e2e.ts';
import { stabilityGoodKey, startStabilityFake } from './server.ts';

itGenerates(cliWithFake(startStabilityFake), {
  title: 'generates a Stable Image Core picture and stores the verified file',
  provider: 'stability',
  keys: `main=${stabilityGoodKey}`,
  secret: stabilityGoodKey,
  args: ['image', 'a lighthouse at dusk', '--provider', 'stability/core', '--aspect', '9:16'],
  file: 'lighthouse.png',
  summary: { status: 'succeeded', provider: 'stability', model: 'core', mime: 'image/png', width: 768, height: 1344, cost: 0.03 },
  media: (file) => expectImage(file, 'png', 768, 1344),
  requests(requests) {
    expect(posts(requests).map((request) => `${request.path} ${request.headers.accept}`)).toEqual(['/v2beta/stable-image/generate/core image/*']);
  },
});
