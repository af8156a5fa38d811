// `mediagate generate` with Replicate end to end: the real CLI in a child process, its base URL and
// token from the environment, the Replicate fake behind the official client, a verified MP4.
import { expect } from 'vitest';
import { probe } from '../../support/cli.ts';
import { cliWithFake, itGenerates, posts } from '../e2e.ts';
import { replicateGoodToken, startReplicateFake } from './server.ts';

itGenerates(cliWithFake(startReplicateFake), {
  title: 'generates a Wan 2.7 video and stores the verified file',
  provider: 'replicate',
  baseUrl: (url) => `${url}/v1`,
  keys: `main=${replicateGoodToken}`,
  secret: replicateGoodToken,
  args: ['video', 'rain on a window', '--provider', 'replicate/wan-video/wan-2.7-t2v', '--aspect', '1:1', '--duration', '2'],
  file: 'rain.mp4',
  summary: { status: 'succeeded', provider: 'replicate', model: 'wan-video/wan-2.7-t2v', mime: 'video/mp4', width: 720, height: 720, cost: 0.2 },
  async media(file) {
    const media = await probe(file);
    expect(media.video).toMatchObject({ codec: 'h264', width: 720, height: 720 });
    expect(media.duration).toBeGreaterThan(1.5);
  },
  requests(requests) {
    const created = posts(requests);
    expect(created.map((request) => request.path)).toEqual(['/v1/models/wan-video/wan-2.7-t2v/predictions']);
    expect(created[0]?.headers['cancel-after']).toMatch(/^\d+s$/);
  },
});
