// Real, valid media for the simulated provider, made cheaply: PNGs and WAVs are encoded in
// process and MP4s rendered once with ffmpeg, all cached so benchmarks measure the gateway.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import { ffmpegPath } from '@mediagate/storage';

const run = promisify(execFile);

/** Eight colors: a seed picks one, so the cache stays small however many seeds a benchmark uses. */
const palette: readonly (readonly [number, number, number])[] = [
  [0x1e, 0x29, 0x3b],
  [0x25, 0x63, 0xeb],
  [0x16, 0xa3, 0x4a],
  [0xdc, 0x26, 0x26],
  [0xf5, 0x9e, 0x0b],
  [0x93, 0x33, 0xea],
  [0x0d, 0x94, 0x88],
  [0xdb, 0x27, 0x77],
];

export function colorIndex(seed: number): number {
  return Math.abs(Math.trunc(seed)) % palette.length;
}

/** A stable small number from a string, for prompts without a seed. */
export function hashString(value: string): number {
  let hash = 2166136261;
  for (let index = 0; index < value.length; index++) hash = Math.imul(hash ^ value.charCodeAt(index), 16777619);
  return hash >>> 0;
}

class Lru<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly limit: number) {}

  get(key: string, make: () => V): V {
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    const value = make();
    this.entries.set(key, value);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}

function encodePng(width: number, height: number, [red, green, blue]: readonly [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter method, no interlace
  const stride = 1 + width * 3;
  const row = Buffer.alloc(stride);
  for (let x = 0; x < width; x++) row.set([red, green, blue], 1 + x * 3);
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) row.copy(raw, y * stride);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const pngs = new Lru<Buffer>(64);
/** The PNG signature and the IHDR chunk: what comes before any text chunk. */
const pngHeadBytes = 8 + 12 + 13;

/**
 * A solid-color PNG of exactly width×height. With `description`, the image carries it in an
 * iTXt chunk (UTF-8, keyword "Description"), as image generators record their prompt and
 * settings: two requests then never get the same bytes, as from a real model.
 */
export function pngImage(width: number, height: number, color: number, description?: string): Buffer {
  const rgb = palette[colorIndex(color)] ?? palette[0];
  if (!rgb) throw new Error('empty palette');
  const plain = pngs.get(`${width}x${height}:${colorIndex(color)}`, () => encodePng(width, height, rgb));
  if (description === undefined) return plain;
  // keyword, NUL, compression flag 0, method 0, empty language tag and translated keyword (NUL each), text
  const text = chunk('iTXt', Buffer.concat([Buffer.from('Description\0\0\0\0\0', 'latin1'), Buffer.from(description, 'utf8')]));
  return Buffer.concat([plain.subarray(0, pngHeadBytes), text, plain.subarray(pngHeadBytes)]);
}

const wavs = new Lru<Buffer>(64);
const sampleRate = 16_000;

/** 16-bit mono PCM sine tone, `seconds` long; the pitch stands in for the voice. */
export function wavAudio(seconds: number, frequency: number): Buffer {
  const samples = Math.max(1, Math.round(seconds * sampleRate));
  return wavs.get(`${samples}:${frequency}`, () => {
    const data = Buffer.alloc(samples * 2);
    for (let index = 0; index < samples; index++) {
      data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * frequency * index) / sampleRate) * 8000), index * 2);
    }
    const header = Buffer.alloc(44);
    header.write('RIFF', 0, 'latin1');
    header.writeUInt32LE(36 + data.length, 4);
    header.write('WAVEfmt ', 8, 'latin1');
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20); // PCM
    header.writeUInt16LE(1, 22); // mono
    header.writeUInt32LE(sampleRate, 24);
    header.writeUInt32LE(sampleRate * 2, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36, 'latin1');
    header.writeUInt32LE(data.length, 40);
    return Buffer.concat([header, data]);
  });
}

const mp4s = new Lru<Promise<Buffer>>(16);

async function renderMp4(width: number, height: number, seconds: number, rgb: readonly [number, number, number]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'mediagate-simulated-'));
  const file = join(dir, 'out.mp4');
  const hex = rgb.map((part) => part.toString(16).padStart(2, '0')).join('');
  try {
    await run(ffmpegPath(), [
      '-v', 'error', '-f', 'lavfi', '-i', `color=c=0x${hex}:s=${width}x${height}:r=8:d=${seconds}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-y', file,
    ]); // prettier-ignore
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An H.264 MP4 of width×height (even numbers) and `seconds`, rendered once per shape. */
export function mp4Video(width: number, height: number, seconds: number, color: number): Promise<Buffer> {
  const rgb = palette[colorIndex(color)] ?? palette[0];
  if (!rgb) throw new Error('empty palette');
  const key = `${width}x${height}:${seconds}:${colorIndex(color)}`;
  const pending = mp4s.get(key, () => renderMp4(width, height, seconds, rgb));
  // A failed render must not stay cached as a rejected promise.
  pending.catch(() => mp4s.delete(key));
  return pending;
}
