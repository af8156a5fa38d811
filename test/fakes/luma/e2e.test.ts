// `mediagate generate` with Luma end to end: the real CLI in a child process, its base URL and key
// from the environment, the Luma fake behind it, a verified MP4 of the asked size and length.
import { expect } from 'vitest';
import { probe } from '../../support/cli.ts';
import { cliWithFake, itGenerates, posts } from '../e2e.ts';
import { lumaGoodKey, startLumaFake } from './server.ts';

itGenerates(cliWithFake(startLumaFake), {
  title: 'generates a Ray Flash 2 video and stores the verified file',
  provider: 'luma',
  baseUrl: (url) => `${url}/dream-machine/v1`,
  keys: `main=${lumaGoodKey}`,
  secret: lumaGoodKey,
  args: ['video', 'a paper boat drifting', '--provider', 'luma/ray-flash-2', '--size', '960x540'],
  file: 'boat.mp4',
  summary: { status: 'succeeded', provider: 'luma', model: 'ray-flash-2', mime: 'video/mp4', width: 960, height: 540, cost: 0.14 },
  async media(file) {
    const media = await probe(file);
    expect(media.video).toMatchObject({ codec: 'h264', width: 960, height: 540 });
    expect(media.duration).toBeGreaterThan(4.5);
  },
  requests(requests) {
    expect(posts(requests).map((request) => JSON.parse(request.body.toString()) as unknown)).toEqual([
      { model: 'ray-flash-2', prompt: 'a paper boat drifting', aspect_ratio: '16:9', resolution: '540p', duration: '5s' },
    ]);
  },
});
