// `mediagate generate` with the Black Forest Labs provider end to end: the real CLI in a child
// process, its base URL and key from the environment, the BFL fake behind it (submit, poll, signed
// sample URL downloaded through the URL guard), a verified JPEG on disk.
import { expect } from 'vitest';
import { cliWithFake, expectImage, itGenerates, posts } from '../e2e.ts';
import { bflGoodKey, startBflFake } from './server.ts';

itGenerates(cliWithFake(startBflFake), {
  title: 'generates a FLUX image: submit, poll the polling_url, download the sample at once',
  provider: 'bfl',
  keys: `main=${bflGoodKey}`,
  secret: bflGoodKey,
  args: ['image', 'a red fox in autumn', '--provider', 'bfl/flux-pro-1.1', '--size', '832x1216'],
  file: 'fox.jpg',
  summary: { status: 'succeeded', provider: 'bfl', model: 'flux-pro-1.1', mime: 'image/jpeg', width: 832, height: 1216, cost: 0.04 },
  media: (file) => expectImage(file, 'jpeg', 832, 1216),
  requests(requests) {
    const seen = requests.map((request) => `${request.method} ${request.path.replace(/[0-9a-f-]{36}/, '<id>')}`);
    expect(seen[0]).toBe('POST /v1/flux-pro-1.1');
    expect(seen).toContain('GET /v1/get_result?id=<id>');
    expect(seen.at(-1)).toMatch(/^GET \/files\/out-\d+\.jpeg$/);
    expect(posts(requests)).toHaveLength(1);
  },
});
