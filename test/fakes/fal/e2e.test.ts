// `mediagate generate` with fal end to end: the real CLI in a child process, its queue base URL and
// key from the environment, the fal fake behind the official client, a verified JPEG on disk.
import { expect } from 'vitest';
import { cliWithFake, expectImage, itGenerates, posts } from '../e2e.ts';
import { falGoodKey, startFalFake } from './server.ts';

itGenerates(cliWithFake(startFalFake), {
  title: 'generates a Flux schnell image through the queue and stores the verified file',
  provider: 'fal',
  keys: `main=${falGoodKey}`,
  secret: falGoodKey,
  args: ['image', 'a brass compass', '--provider', 'fal/flux/schnell', '--aspect', '16:9'],
  file: 'compass.jpg',
  summary: { status: 'succeeded', provider: 'fal', model: 'flux/schnell', mime: 'image/jpeg', width: 1024, height: 576, cost: 0.003 },
  media: (file) => expectImage(file, 'jpeg', 1024, 576),
  requests(requests) {
    const submits = posts(requests);
    expect(submits.map((request) => `${request.path} ${request.headers.authorization}`)).toEqual([`/fal-ai/flux/schnell Key ${falGoodKey}`]);
    expect(JSON.parse(submits[0]?.body.toString() ?? '')).toMatchObject({ image_size: 'landscape_16_9', output_format: 'jpeg' });
  },
});
