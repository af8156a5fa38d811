// The `mediagate` command end to end, run in child processes the way a user runs it: one home
// and queue prefix shared by the file's tests, which run in order because PGlite has one owner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { createCliHome, frameAt, freePort, probe, type CliHome, type CliResult } from './support/cli.ts';

interface GenerateJson {
  jobId: string;
  status: string;
  provider: string | null;
  model: string | null;
  output: string | null;
  outputs: string[];
  bytes: number | null;
  mime: string | null;
  width: number | null;
  height: number | null;
  duration: number | null;
  cost: number | null;
}

interface JobJson {
  id: string;
  status: string;
  kind: string;
  prompt: string;
  attempts?: { status: string; provider: string; model: string }[];
  outputs?: { id: string; mime: string; bytes: number; width: number | null; height: number | null }[];
}

interface ProviderJson {
  id: string;
  status: string;
  models: { id: string; capabilities: { kind: string; modes: string[] } }[];
}

const providerIds = ['local', 'simulated'];
const slow = 180_000;

let cli: CliHome;
const madeJobs: string[] = [];

beforeAll(async () => {
  cli = await createCliHome();
});
afterAll(async () => {
  await cli?.cleanup();
});

/** Says what happened when a command did not exit as expected, instead of a bare number mismatch. */
function expectExit(result: CliResult, code: number): void {
  if (result.code !== code) {
    throw new Error(`expected exit ${code}, got ${result.code ?? result.signal}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

/** Exactly one JSON value on stdout. */
function json<T>(result: CliResult): T {
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines, result.stdout).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as T;
}

async function generate(args: string[]): Promise<GenerateJson> {
  const result = await cli.run(['generate', ...args, '--json']);
  expectExit(result, 0);
  const summary = json<GenerateJson>(result);
  expect(summary.status).toBe('succeeded');
  madeJobs.push(summary.jobId);
  return summary;
}

const file = (name: string) => path.join(cli.workDir, name);

async function imageOf(name: string) {
  const bytes = await readFile(file(name));
  return sharp(bytes).metadata();
}

/** One line on stderr, which is what a user sees of a refused command. */
function oneLine(result: CliResult): string {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  return lines[0] ?? '';
}

describe('mediagate without a database', () => {
  it('--help and generate --help exit 0 with usage', async () => {
    const top = await cli.run(['--help']);
    expectExit(top, 0);
    expect(top.stdout).toContain('Usage: mediagate');
    expect(top.stdout).toContain('generate');
    const sub = await cli.run(['generate', '--help']);
    expectExit(sub, 0);
    expect(sub.stdout).toContain('--provider');
  });
});

describe('mediagate migrate and providers', () => {
  it('migrate applies the migrations to the embedded database and says where', async () => {
    const result = await cli.run(['migrate']);
    expectExit(result, 0);
    expect(result.stdout).toContain('migrations applied to');
    expect(result.stdout).toContain(path.join(cli.home, 'db'));
  }, slow);

  it('providers --json lists local and simulated models with capabilities', async () => {
    const providers = json<ProviderJson[]>(await cli.run(['providers', '--json']).then((result) => (expectExit(result, 0), result)));
    expect(providers.map((provider) => provider.id)).toEqual(expect.arrayContaining(providerIds));
    const local = providers.find((provider) => provider.id === 'local');
    expect(local?.models.map((model) => model.id)).toEqual(expect.arrayContaining(['local/card', 'local/tts', 'local/motion']));
    const kinds = Object.fromEntries(local?.models.map((model) => [model.id, model.capabilities.kind]) ?? []);
    expect(kinds).toMatchObject({ 'local/card': 'image', 'local/tts': 'speech', 'local/motion': 'video' });
    const simulated = providers.find((provider) => provider.id === 'simulated');
    expect(simulated?.models.length).toBeGreaterThan(0);
    for (const model of [...(local?.models ?? []), ...(simulated?.models ?? [])]) {
      expect(model.capabilities.modes.length, model.id).toBeGreaterThan(0);
    }
  }, slow);

  it('providers prints a readable list', async () => {
    const result = await cli.run(['providers']);
    expectExit(result, 0);
    expect(result.stdout).toMatch(/^local /m);
    expect(result.stdout).toContain('local/motion');
    expect(result.stdout).toMatch(/^simulated /m);
  }, slow);
});

describe('mediagate generate on this machine', () => {
  it('image: a PNG of exactly the asked size, described by one JSON object', async () => {
    const summary = await generate(['image', 'Launch day: Mediagate 1.0', '-o', 'card.png', '--size', '640x360']);
    expect(summary).toMatchObject({
      status: 'succeeded',
      provider: 'local',
      model: 'card',
      output: 'card.png',
      mime: 'image/png',
      width: 640,
      height: 360,
      duration: null,
    });
    expect(summary.jobId).toMatch(/^job_/);
    expect(typeof summary.cost).toBe('number');
    const bytes = await readFile(file('card.png'));
    expect(summary.bytes).toBe(bytes.length);
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 640, 360]);
  }, slow);

  it('image: --aspect 9:16 to JPEG is 1080×1920, -o .webp gives WebP', async () => {
    const tall = await generate(['image', 'A tall poster', '--aspect', '9:16', '-o', 'tall.jpg']);
    expect(tall.mime).toBe('image/jpeg');
    const tallMeta = await imageOf('tall.jpg');
    expect([tallMeta.format, tallMeta.width, tallMeta.height]).toEqual(['jpeg', 1080, 1920]);

    const web = await generate(['image', 'For the web', '--size', '400x300', '-o', 'web.webp']);
    expect(web.mime).toBe('image/webp');
    const webMeta = await imageOf('web.webp');
    expect([webMeta.format, webMeta.width, webMeta.height]).toEqual(['webp', 400, 300]);
  }, slow);

  it('video: a 2 s vertical MP4 of 720×1280', async () => {
    const summary = await generate(['video', 'Three tips for better sleep', '--aspect', '9:16', '--duration', '2', '-o', 'clip.mp4']);
    expect(summary).toMatchObject({ provider: 'local', model: 'motion', mime: 'video/mp4', width: 720, height: 1280 });
    const media = await probe(file('clip.mp4'));
    expect(media.formatName).toContain('mp4');
    expect(media.video).toMatchObject({ codec: 'h264', width: 720, height: 1280 });
    const frame = 1 / (media.video?.fps ?? 1);
    expect(Math.abs((media.video?.duration ?? 0) - 2)).toBeLessThanOrEqual(frame + 1e-6);
  }, slow);

  it('video from an image: --image and --motion pan-left move the picture', async () => {
    // Left half dark, right half light with a stripe pattern: a pan shows up as changed pixels.
    const stripes = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360">${Array.from(
        { length: 16 },
        (_, index) => `<rect x="${index * 40}" y="0" width="20" height="360" fill="${index % 2 ? '#f4c430' : '#1e3a8a'}"/>`,
      ).join('')}</svg>`,
    );
    await sharp(stripes).png().toFile(file('photo.png'));
    const summary = await generate(['video', 'Panning across', '--image', 'photo.png', '--motion', 'pan-left', '--duration', '1', '--size', '320x180', '-o', 'pan.mp4']);
    expect(summary).toMatchObject({ model: 'motion', mime: 'video/mp4', width: 320, height: 180 });
    const media = await probe(file('pan.mp4'));
    expect(media.video).toMatchObject({ codec: 'h264', width: 320, height: 180 });
    expect(Math.abs((media.video?.duration ?? 0) - 1)).toBeLessThanOrEqual(1 / (media.video?.fps ?? 1) + 1e-6);
    const [first, last] = await Promise.all([frameAt(file('pan.mp4'), 0), frameAt(file('pan.mp4'), 0.9)]);
    const [a, b] = await Promise.all([first, last].map((png) => sharp(png).greyscale().raw().toBuffer()));
    let changed = 0;
    for (let index = 0; index < (a?.length ?? 0); index += 1) if (Math.abs((a?.[index] ?? 0) - (b?.[index] ?? 0)) > 40) changed += 1;
    expect(changed / (a?.length ?? 1)).toBeGreaterThan(0.05);
  }, slow);

  it('speech: a WAV of a plausible length, and another voice with --voice en-gb', async () => {
    const text = 'Hello from Mediagate, this is a test.';
    const summary = await generate(['speech', text, '-o', 'hello.wav']);
    expect(summary).toMatchObject({ provider: 'local', model: 'tts', mime: 'audio/wav', width: null, height: null });
    const media = await probe(file('hello.wav'));
    expect(media.formatName).toBe('wav');
    expect(media.video).toBeUndefined();
    expect(media.duration).toBeGreaterThan(1);
    expect(media.duration).toBeLessThan(8);
    expect(summary.duration).toBeCloseTo(media.duration, 1);

    await generate(['speech', text, '--voice', 'en-gb', '-o', 'hello-gb.wav']);
    const british = await probe(file('hello-gb.wav'));
    expect(british.formatName).toBe('wav');
    expect(british.duration).toBeGreaterThan(1);
    expect(british.duration).toBeLessThan(8);
    const [us, gb] = await Promise.all([readFile(file('hello.wav')), readFile(file('hello-gb.wav'))]);
    expect(gb.equals(us)).toBe(false);
  }, slow);

  it('simulated/image works without a configured simulated server', async () => {
    const summary = await generate(['image', 'A simulated fox', '--provider', 'simulated/image', '--size', '256x256', '-o', 'fox.png']);
    expect(summary).toMatchObject({ provider: 'simulated', model: 'image', width: 256, height: 256 });
    expect(summary.cost).toBeGreaterThan(0);
    const meta = await imageOf('fox.png');
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 256, 256]);
  }, slow);
});

describe('mediagate generate refuses bad input with exit 2 and stores nothing', () => {
  let jobsBefore: string[] = [];
  let assetsBefore = 0;
  let queuedBefore = 0;

  async function listJobIds(): Promise<string[]> {
    const result = await cli.run(['jobs', 'list', '--json', '--limit', '200']);
    expectExit(result, 0);
    return json<JobJson[]>(result).map((job) => job.id);
  }

  beforeAll(async () => {
    await writeFile(file('notes.txt'), 'this is not an image\n');
    jobsBefore = await listJobIds();
    assetsBefore = await cli.storedAssets();
    queuedBefore = await cli.queuedEntries(providerIds);
  }, slow);

  const cases: { name: string; args: string[]; expected: (string | RegExp)[] }[] = [
    { name: 'unknown provider', args: ['image', 'x', '--provider', 'opnai/gpt-image-1', '-o', 'a.png'], expected: ['opnai', 'local', 'simulated'] },
    { name: 'unknown model', args: ['image', 'x', '--provider', 'local/cards', '-o', 'a.png'], expected: ['local/cards', 'local/card, local/tts, local/motion'] },
    { name: 'kind the model cannot make', args: ['video', 'x', '--provider', 'local/card', '-o', 'a.mp4'], expected: ['local/card', 'image', 'video'] },
    { name: 'unknown kind', args: ['gif', 'x'], expected: ['kind', 'gif', 'image, video, speech'] },
    { name: 'size out of range', args: ['image', 'x', '--size', '9000x100', '-o', 'a.png'], expected: ['width', '9000', '64–4096'] },
    { name: 'duration out of range', args: ['video', 'x', '--duration', '500', '-o', 'a.mp4'], expected: ['duration', '500', /0\.5–60/] },
    { name: 'malformed --size', args: ['image', 'x', '--size', 'large', '-o', 'a.png'], expected: ['--size', 'large', 'WIDTHxHEIGHT'] },
    { name: 'missing --image file', args: ['image', 'x', '--image', 'missing.png', '-o', 'a.png'], expected: ['image', 'missing.png', 'not found'] },
    { name: 'non-image --image', args: ['image', 'x', '--image', 'notes.txt', '-o', 'a.png'], expected: ['image', 'notes.txt', 'png, jpeg, webp'] },
    { name: 'wrong -o extension for the kind', args: ['image', 'x', '-o', 'x.mp4'], expected: ['-o', 'x.mp4', '.png, .jpg, .jpeg, .webp'] },
    { name: 'unknown voice', args: ['speech', 'Hello', '--voice', 'klingon', '-o', 'a.wav'], expected: ['voice', 'klingon', 'en-gb'] },
    { name: 'unknown option', args: ['image', 'x', '--colour', 'red'], expected: ['--colour'] },
    { name: '-o into a missing directory', args: ['image', 'x', '-o', 'nowhere/a.png'], expected: ['-o', 'nowhere', 'does not exist'] },
  ];

  it.each(cases)('$name', async ({ args, expected }) => {
    const result = await cli.run(['generate', ...args]);
    expectExit(result, 2);
    expect(result.stdout).toBe('');
    const line = oneLine(result);
    expect(line).toMatch(/^mediagate: /);
    for (const part of expected) {
      if (typeof part === 'string') expect(line).toContain(part);
      else expect(line).toMatch(part);
    }
    expect(existsSync(file('a.png')) || existsSync(file('a.mp4')) || existsSync(file('a.wav'))).toBe(false);
  }, slow);

  it('left no job, no stored file and no queue entry behind', async () => {
    expect(await listJobIds()).toEqual(jobsBefore);
    expect(await cli.storedAssets()).toBe(assetsBefore);
    expect(await cli.queuedEntries(providerIds)).toBe(queuedBefore);
  }, slow);
});

describe('mediagate when Redis is not reachable', () => {
  const commands = [
    ['generate', 'image', 'x', '-o', 'unreachable.png'],
    ['worker'],
    ['start'],
    ['jobs', 'list'],
    ['providers'],
  ];

  // They stop before touching the embedded database, so they can run side by side.
  it.concurrent.each(commands.map((args) => ({ command: args.slice(0, 2).join(' '), args })))(
    '$command exits 1 with one line on how to start Redis',
    async ({ args }) => {
      const result = await cli.run(args, { env: { REDIS_URL: 'redis://127.0.0.1:1' }, timeoutMs: 60_000 });
      expectExit(result, 1);
      const line = oneLine(result);
      expect(line).toMatch(/Redis is not reachable/);
      expect(line).toContain('redis-server');
    },
    slow,
  );
});

describe('mediagate worker with a bad concurrency override', () => {
  it('exits 2 with one line naming the variable', async () => {
    const result = await cli.run(['worker'], { env: { MEDIAGATE_CONCURRENCY_SIMULATED: 'lots' }, timeoutMs: 60_000 });
    expectExit(result, 2);
    expect(oneLine(result)).toContain('MEDIAGATE_CONCURRENCY_SIMULATED: "lots" is not a whole number of jobs at once (1 or more)');
  }, slow);
});

describe('mediagate jobs', () => {
  it('list --json shows the jobs made above, newest first', async () => {
    expect(madeJobs.length).toBeGreaterThan(0);
    const result = await cli.run(['jobs', 'list', '--json', '--limit', '200']);
    expectExit(result, 0);
    const jobs = json<JobJson[]>(result);
    expect(jobs.map((job) => job.id)).toEqual(expect.arrayContaining(madeJobs));
    expect(jobs.find((job) => job.id === madeJobs[0])).toMatchObject({ status: 'succeeded', kind: 'image' });
  }, slow);

  it('show --json has the attempts and the outputs', async () => {
    const id = madeJobs[0] ?? '';
    const result = await cli.run(['jobs', 'show', id, '--json']);
    expectExit(result, 0);
    const job = json<JobJson>(result);
    expect(job).toMatchObject({ id, status: 'succeeded', kind: 'image', prompt: 'Launch day: Mediagate 1.0' });
    expect(job.attempts).toEqual([expect.objectContaining({ status: 'succeeded', provider: 'local', model: 'card' })]);
    expect(job.outputs).toEqual([expect.objectContaining({ mime: 'image/png', width: 640, height: 360 })]);
  }, slow);

  it('cancel leaves a finished job succeeded', async () => {
    const id = madeJobs[0] ?? '';
    const result = await cli.run(['jobs', 'cancel', id, '--json']);
    expectExit(result, 0);
    expect(json<JobJson>(result)).toMatchObject({ id, status: 'succeeded' });
    const after = await cli.run(['jobs', 'show', id, '--json']);
    expectExit(after, 0);
    expect(json<JobJson>(after).status).toBe('succeeded');
  }, slow);

  it('cancel and show of an unknown id exit 2 with "not found"', async () => {
    for (const command of ['cancel', 'show']) {
      const result = await cli.run(['jobs', command, 'job_doesnotexist']);
      expectExit(result, 2);
      expect(oneLine(result)).toMatch(/not found/);
    }
  }, slow);
});

describe('mediagate start', () => {
  it('serves generate over HTTP, is found through the lock file, and stops on SIGTERM', async () => {
    const port = await freePort();
    const server = cli.spawn(['start'], { env: { PORT: String(port) } });
    try {
      await server.waitForStderr('mediagate start:', 120_000);
      const url = `http://127.0.0.1:${port}`;
      expect(server.stderr()).toContain(url);

      // The default tenant's key, made on first start: in the home directory, readable by its owner only, never printed.
      const keyFile = path.join(cli.home, 'api-key');
      const key = (await readFile(keyFile, 'utf8')).trim();
      expect(key).toMatch(/^mg_[\w-]{43}$/);
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      expect(server.stderr()).toContain(keyFile);
      expect(server.stderr()).not.toContain(key);
      expect((await fetch(`${url}/v1/jobs`)).status).toBe(401);
      const refused = await cli.run(['jobs', 'list', '--server', url, '--api-key', 'mg_wrong']);
      expectExit(refused, 2);
      expect(oneLine(refused)).toMatch(/unknown API key/);

      const remote = await generate(['image', 'Served over HTTP', '--server', url, '--size', '320x200', '-o', 'remote.png']);
      expect(remote).toMatchObject({ provider: 'local', model: 'card', width: 320, height: 200 });
      const remoteMeta = await imageOf('remote.png');
      expect([remoteMeta.format, remoteMeta.width, remoteMeta.height]).toEqual(['png', 320, 200]);

      // --image goes through POST /v1/uploads.
      const withImage = await generate(['image', 'With a photo', '--server', url, '--image', 'card.png', '--size', '300x300', '-o', 'remote-photo.png']);
      expect(withImage).toMatchObject({ provider: 'local', width: 300, height: 300 });
      expect((await imageOf('remote-photo.png')).format).toBe('png');

      // --mask goes up too, and the server's refusal names it: the local card model takes no mask.
      await sharp({ create: { width: 640, height: 360, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toFile(file('mask.png'));
      const masked = await cli.run(['generate', 'image', 'Masked', '--server', url, '--image', 'card.png', '--mask', 'mask.png', '-o', 'masked.png']);
      expectExit(masked, 2);
      expect(oneLine(masked)).toMatch(/mask_asset_id/);
      expect(existsSync(file('masked.png'))).toBe(false);

      // No --server: the lock file says where the running server answers.
      const routed = await generate(['image', 'Found through the lock', '--size', '200x200', '-o', 'routed.png']);
      expect(routed).toMatchObject({ provider: 'local', width: 200, height: 200 });
      expect((await imageOf('routed.png')).width).toBe(200);

      const listed = await cli.run(['jobs', 'list', '--json']);
      expectExit(listed, 0);
      expect(json<JobJson[]>(listed).map((job) => job.id)).toEqual(expect.arrayContaining([remote.jobId, withImage.jobId, routed.jobId]));
    } finally {
      server.child.kill('SIGTERM');
    }
    const exit = await server.exited(30_000);
    expect(exit.signal, exit.stderr).toBeNull();
    expect(exit.code, exit.stderr).toBe(0);
  }, slow);
});
