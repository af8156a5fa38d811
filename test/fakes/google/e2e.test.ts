// `mediagate generate` with the Google provider end to end: the real CLI in a child process, its
// base URL and key from the environment, the Gemini API fake behind it, a verified PNG on disk.
import { expect } from 'vitest';
import { cliWithFake, expectImage, itGenerates, posts } from '../e2e.ts';
import { googleGoodKey, startGoogleFake } from './server.ts';

itGenerates(cliWithFake(startGoogleFake), {
  title: 'generates a Gemini image through the Gemini API and stores the verified PNG',
  provider: 'google',
  baseUrl: (url) => `${url}/v1beta`,
  keys: `studio=${googleGoodKey}`,
  secret: googleGoodKey,
  args: ['image', 'a lighthouse at dusk', '--provider', 'google/gemini-2.5-flash-image', '--aspect', '16:9'],
  file: 'lighthouse.png',
  summary: { status: 'succeeded', provider: 'google', model: 'gemini-2.5-flash-image', mime: 'image/png', width: 1344, height: 768, cost: 0.039 },
  media: (file) => expectImage(file, 'png', 1344, 768),
  requests(requests) {
    const calls = posts(requests);
    expect(calls.map((request) => request.path)).toEqual(['/v1beta/models/gemini-2.5-flash-image:generateContent']);
    expect(calls[0]?.headers['x-goog-api-key']).toBe(googleGoodKey);
  },
});
