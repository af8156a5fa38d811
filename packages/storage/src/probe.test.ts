import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from './media-info.ts';
import { ffmpegPath } from './media-tools.ts';
import { probeMedia, probeMediaBytes, verifyMedia, verifyMediaBytes } from './probe.ts';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mediagate-probe-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function image(name: string, format: 'png' | 'jpeg' | 'webp', width: number, height: number): Promise<string> {
  const path = join(dir, name);
  const noise = Buffer.alloc(width * height * 3);
  for (let index = 0; index < noise.length; index += 1) noise[index] = (index * 7919) % 251;
  await sharp(noise, { raw: { width, height, channels: 3 } }).toFormat(format).toFile(path);
  return path;
}

/** 16-bit mono PCM WAV of `seconds` of a 440 Hz tone. */
async function wav(name: string, seconds: number, sampleRate = 22_050): Promise<string> {
  const samples = Math.round(seconds * sampleRate);
  const bytes = Buffer.alloc(44 + samples * 2);
  bytes.write('RIFF', 0, 'latin1');
  bytes.writeUInt32LE(36 + samples * 2, 4);
  bytes.write('WAVEfmt ', 8, 'latin1');
  bytes.writeUInt32LE(16, 16);
  bytes.writeUInt16LE(1, 20); // PCM
  bytes.writeUInt16LE(1, 22); // mono
  bytes.writeUInt32LE(sampleRate, 24);
  bytes.writeUInt32LE(sampleRate * 2, 28);
  bytes.writeUInt16LE(2, 32);
  bytes.writeUInt16LE(16, 34);
  bytes.write('data', 36, 'latin1');
  bytes.writeUInt32LE(samples * 2, 40);
  for (let index = 0; index < samples; index += 1) {
    bytes.writeInt16LE(Math.round(8_000 * Math.sin((2 * Math.PI * 440 * index) / sampleRate)), 44 + index * 2);
  }
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

async function mp4(name: string, extraArgs: string[] = []): Promise<string> {
  const path = join(dir, name);
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=25'];
  await run(ffmpegPath(), [...args, '-pix_fmt', 'yuv420p', ...extraArgs, path]);
  return path;
}

async function copyCut(source: string, name: string, keepFraction: number): Promise<string> {
  const bytes = await readFile(source);
  const path = join(dir, name);
  await writeFile(path, bytes.subarray(0, Math.floor(bytes.length * keepFraction)));
  return path;
}

async function mediaError(promise: Promise<unknown>): Promise<MediaError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MediaError);
  return error as MediaError;
}

describe('probeMedia: images', () => {
  it.each(['png', 'jpeg', 'webp'] as const)('reads a valid %s and its dimensions', async (format) => {
    const path = await image(`valid.${format}`, format, 320, 200);
    const info = await verifyMedia(path, 'image');
    expect(info).toMatchObject({ kind: 'image', format, mime: `image/${format}`, width: 320, height: 200 });
    expect(info.size).toBeGreaterThan(0);
  });

  it('reads lossless WebP dimensions', async () => {
    const path = join(dir, 'lossless.webp');
    await sharp({ create: { width: 123, height: 45, channels: 4, background: '#f00' } }).webp({ lossless: true }).toFile(path);
    expect(await probeMedia(path)).toMatchObject({ format: 'webp', width: 123, height: 45 });
  });

  it.each([
    ['lossy WebP with alpha (VP8X)', (input: Sharp) => input.webp({ quality: 50 })],
    ['progressive JPEG', (input: Sharp) => input.jpeg({ progressive: true })],
    ['GIF', (input: Sharp) => input.gif()],
  ])('agrees with sharp on the size of a %s', async (name, encode) => {
    const path = join(dir, `variant-${name.length}`);
    await encode(sharp({ create: { width: 301, height: 77, channels: 4, background: '#0f08' } })).toFile(path);
    const metadata = await sharp(path).metadata();
    expect(await probeMedia(path)).toMatchObject({ width: metadata.width, height: metadata.height });
    expect(metadata).toMatchObject({ width: 301, height: 77 });
  });

  it('rejects a PNG with its last bytes cut off', async () => {
    const cut = await copyCut(await image('whole.png', 'png', 256, 256), 'cut.png', 0.9);
    const error = await mediaError(probeMedia(cut));
    expect(error.reason).toBe('truncated');
    expect(error.message).toBe('PNG is truncated: no IEND chunk');
  });

  it('rejects a cut JPEG and a cut WebP', async () => {
    const jpeg = await copyCut(await image('whole.jpeg', 'jpeg', 256, 256), 'cut.jpeg', 0.8);
    expect((await mediaError(probeMedia(jpeg))).message).toMatch(/JPEG is truncated/);
    const webp = await copyCut(await image('whole.webp', 'webp', 256, 256), 'cut.webp', 0.8);
    expect((await mediaError(probeMedia(webp))).message).toMatch(/WebP is truncated: RIFF header declares \d+ bytes/);
  });

  it('accepts a JPEG padded with zero bytes after FFD9', async () => {
    const path = await image('padded.jpeg', 'jpeg', 64, 48);
    await writeFile(path, Buffer.concat([await readFile(path), Buffer.alloc(100)]));
    expect(await probeMedia(path)).toMatchObject({ format: 'jpeg', width: 64, height: 48 });
  });
});

describe('probeMedia: rejections', () => {
  it('rejects a text file and an empty file', async () => {
    const textPath = join(dir, 'note.txt');
    await writeFile(textPath, 'This is not an image, just a friendly placeholder.\n'.repeat(20));
    const error = await mediaError(probeMedia(textPath));
    expect(error).toMatchObject({ reason: 'unrecognized', message: 'not a recognized media file' });

    const emptyPath = join(dir, 'empty.png');
    await writeFile(emptyPath, '');
    expect((await mediaError(probeMedia(emptyPath))).reason).toBe('empty');
  });

  it('rejects the wrong kind, naming both', async () => {
    const path = await wav('speech.wav', 0.5);
    const error = await mediaError(verifyMedia(path, 'image'));
    expect(error.reason).toBe('wrong_kind');
    expect(error.message).toBe('expected image, got audio/wav');
  });

  it('rejects a recognized but unsupported format', async () => {
    const path = join(dir, 'archive.zip');
    await writeFile(path, Buffer.from('504b0304140000000800', 'hex'));
    expect((await mediaError(probeMedia(path))).message).toBe('unsupported media format application/zip (zip)');
  });
});

describe('probeMedia: audio and video', () => {
  it('reads a WAV duration from its header', async () => {
    const path = await wav('tone.wav', 1.5);
    expect(await verifyMedia(path, 'audio')).toMatchObject({ kind: 'audio', format: 'wav', mime: 'audio/wav', durationMs: 1500 });
  });

  it('rejects a truncated WAV', async () => {
    const cut = await copyCut(await wav('long.wav', 1), 'cut.wav', 0.5);
    expect((await mediaError(probeMedia(cut))).message).toMatch(/WAV is truncated: data chunk declares \d+ bytes/);
  });

  it('reads an MP4 duration and dimensions with ffprobe', async () => {
    const path = await mp4('clip.mp4');
    const info = await verifyMedia(path, 'video');
    expect(info).toMatchObject({ kind: 'video', format: 'mp4', mime: 'video/mp4', width: 320, height: 240 });
    expect(info.durationMs).toBeGreaterThanOrEqual(1900);
    expect(info.durationMs).toBeLessThanOrEqual(2100);
    expect((await mediaError(verifyMedia(path, 'audio'))).message).toBe('expected audio, got video/mp4');
  });

  it('rejects a truncated MP4, with the movie header at the end or at the start', async () => {
    const tailMoov = await copyCut(await mp4('whole.mp4'), 'cut.mp4', 0.6);
    const error = await mediaError(probeMedia(tailMoov));
    expect(error.reason).toBe('truncated');
    expect(error.message).toMatch(/^MP4 is truncated/);

    const faststart = await copyCut(await mp4('faststart.mp4', ['-movflags', '+faststart']), 'cut-fast.mp4', 0.6);
    expect((await mediaError(probeMedia(faststart))).message).toMatch(/MP4 is truncated: box 'mdat' is missing its last \d+ bytes/);
  });

  it('rejects an MP4 whose box sizes fit but whose movie header is garbage', async () => {
    const path = join(dir, 'garbage.mp4');
    const bytes = await readFile(await mp4('for-garbage.mp4'));
    const moov = bytes.indexOf('moov', 0, 'latin1');
    bytes.fill(0x41, moov + 4, Math.min(bytes.length, moov + 400));
    await writeFile(path, bytes);
    // ffprobe skips the unreadable header, so what is left has no streams.
    expect((await mediaError(probeMedia(path))).message).toMatch(/^MP4 (is not decodable|has no video or audio stream)/);
  });

  it('reads a WebM and an audio-only MP3', async () => {
    const webm = await mp4('clip.webm', ['-c:v', 'libvpx', '-b:v', '200k', '-t', '1']);
    expect(await verifyMedia(webm, 'video')).toMatchObject({ format: 'webm', mime: 'video/webm', width: 320, height: 240 });
    const mp3 = join(dir, 'tone.mp3');
    await run(ffmpegPath(), ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', mp3]);
    const info = await verifyMedia(mp3, 'audio');
    expect(info).toMatchObject({ format: 'mp3', mime: 'audio/mpeg' });
    expect(info.durationMs).toBeGreaterThan(900);
  });

  it('finds an MP3 behind a large ID3 tag and ignores its cover art', async () => {
    // Random pixels do not compress, so the tag is far larger than the head probeMedia sniffs.
    const cover = join(dir, 'cover.png');
    await sharp(randomBytes(300 * 300 * 3), { raw: { width: 300, height: 300, channels: 3 } }).png().toFile(cover);
    const mp3 = join(dir, 'with-cover.mp3');
    const sine = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1'];
    await run(ffmpegPath(), ['-v', 'error', '-y', ...sine, '-i', cover, '-map', '0', '-map', '1', '-c:v', 'copy', '-id3v2_version', '3', mp3]);
    expect((await readFile(mp3)).indexOf('ID3', 0, 'latin1')).toBe(0);
    expect(await verifyMedia(mp3, 'audio')).toMatchObject({ kind: 'audio', format: 'mp3', mime: 'audio/mpeg' });
    expect((await stat(mp3)).size).toBeGreaterThan(200_000);
  });

  it('rejects a video cut to its first 40 bytes', async () => {
    const path = await mp4('tiny.mp4');
    await truncate(path, 40);
    expect((await mediaError(probeMedia(path))).reason).toBe('truncated');
  });
});

describe('probeMediaBytes', () => {
  it('checks images and WAV in memory exactly as on disk', async () => {
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const path = await image(`bytes.${format}`, format, 120, 80);
      expect(await probeMediaBytes(await readFile(path))).toEqual(await probeMedia(path));
    }
    const tone = await wav('bytes.wav', 1.5);
    expect(await probeMediaBytes(await readFile(tone))).toEqual(await probeMedia(tone));
  });

  it('rejects truncated and non-media bytes', async () => {
    const png = await readFile(await image('cut.png', 'png', 64, 64));
    await expect(probeMediaBytes(png.subarray(0, png.length - 20))).rejects.toThrow(/IEND/);
    await expect(probeMediaBytes(Buffer.from('just some text, not an image'))).rejects.toBeInstanceOf(MediaError);
    await expect(probeMediaBytes(Buffer.alloc(0))).rejects.toThrow(/empty/);
    await expect(verifyMediaBytes(png, 'audio')).rejects.toThrow(/expected audio, got image\/png/);
  });

  it('leaves containers that need ffprobe to the file check', async () => {
    expect(await probeMediaBytes(await readFile(await mp4('bytes.mp4')))).toBeUndefined();
  });
});
