// `mediagate generate` with Runway end to end: the real CLI in a child process (polling at Runway's
// documented 5 s), its base URL and key from the environment, the Runway fake behind it, a verified PNG.
import { expect } from 'vitest';
import { cliWithFake, expectImage, itGenerates, posts } from '../e2e.ts';
import { runwayGoodKey, startRunwayFake } from './server.ts';

itGenerates(cliWithFake(startRunwayFake), {
  title: 'generates a gen4_image picture and stores the verified file',
  provider: 'runway',
  keys: `main=${runwayGoodKey}`,
  secret: runwayGoodKey,
  args: ['image', 'a lighthouse at dusk', '--provider', 'runway/gen4_image', '--aspect', '1:1', '--seed', '7'],
  file: 'lighthouse.png',
  summary: { status: 'succeeded', provider: 'runway', model: 'gen4_image', mime: 'image/png', width: 1024, height: 1024, cost: 0.08 },
  media: (file) => expectImage(file, 'png', 1024, 1024),
  requests(requests) {
    const created = posts(requests);
    expect(created.map((request) => request.path)).toEqual(['/v1/text_to_image']);
    expect(JSON.parse(created[0]?.body.toString() ?? '')).toEqual({ model: 'gen4_image', promptText: 'a lighthouse at dusk', ratio: '1024:1024', seed: 7 });
    const polls = requests.filter((request) => request.method === 'GET' && request.path.startsWith('/v1/tasks/'));
    expect(polls.length).toBeGreaterThanOrEqual(1);
  },
});
