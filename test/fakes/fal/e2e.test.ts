// `mediagate generate` with fal end to end: the real CLI in a child process, its queue base URL and
// key from the environment, the fal fake behind the official client, a verified JPEG and a verified
// MP4 on disk.
import { expect } from 'vitest';
import { probe } from '../../support/cli.ts';
import { cliWithFake, expectImage, itGenerates, posts } from '../e2e.ts';
import { falGoodKey, startFalFake } from './server.ts';

const context = cliWithFake(startFalFake);

itGenerates(context, {
  title: 'generates a Flux schnell image through the queue and stores the verified file',
  provider: 'fal',
  keys: `main=${falGoodKey}`,
  secret: falGoodKey,
  args: ['image', 'a brass compass', '--provider', 'fal/flux/schnell', '--aspect', '16:9'],
  file: 'compass.jpg',
  summary: { status: 'succeeded', provider: 'fal', model: 'flux/schnell', mime: 'image/jpeg', width: 1024, height: 576, cost: 0.003 },
  media: (file) => expectImage(file, 'jpeg', 1024, 576),
  requests(requests) {
    const submits = posts(requests).filter((request) => request.path.startsWith('/fal-ai/flux/'));
    expect(submits.map((request) => `${request.path} ${request.headers.authorization}`)).toEqual([`/fal-ai/flux/schnell Key ${falGoodKey}`]);
    expect(JSON.parse(submits[0]?.body.toString() ?? '')).toMatchObject({ image_size: 'landscape_16_9', output_format: 'jpeg' });
  },
});

itGenerates(context, {
  title: 'generates a 480p WAN 2.2 video through the queue and stores the verified MP4',
  provider: 'fal',
  keys: `main=${falGoodKey}`,
  secret: falGoodKey,
  args: ['video', 'a kite over dunes', '--provider', 'fal/wan/v2.2-a14b', '--size', '854x480', '--duration', '2'],
  file: 'kite.mp4',
  summary: { status: 'succeeded', provider: 'fal', model: 'wan/v2.2-a14b', mime: 'video/mp4', width: 854, height: 480, cost: 0.0825 },
  async media(file) {
    const media = await probe(file);
    expect(media.video).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    expect(media.duration).toBeGreaterThan(1.9);
  },
  requests(requests) {
    const submits = posts(requests).filter((request) => request.path.startsWith('/fal-ai/wan/'));
    expect(submits.map((request) => `${request.path} ${request.headers.authorization}`)).toEqual([`/fal-ai/wan/v2.2-a14b/text-to-video Key ${falGoodKey}`]);
    expect(JSON.parse(submits[0]?.body.toString() ?? '')).toEqual({ prompt: 'a kite over dunes', num_frames: 33, frames_per_second: 16, resolution: '480p', aspect_ratio: '16:9' });
  },
});
