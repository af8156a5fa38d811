// local/tts end to end: real espeak-ng output checked as a user would (a playable WAV/MP3 of a
// plausible length), plus the capability checks that keep bad requests from reaching it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@mediagate/core';
import { ffprobePath } from '@mediagate/storage';
import type { CallContext, ProviderRequest } from '../../contract.ts';
import { validateAgainstCapabilities } from '../../validate.ts';
import { generateSpeech, synthesizeSpeech, ttsHealth, ttsModel, ttsVoices } from './index.ts';

const sentence = 'The quick brown fox jumps over the lazy dog.';
let tmpDir: string;

beforeAll(async () => {
  tmpDir = await mkdtemp(join(tmpdir(), 'mediagate-tts-'));
});
afterAll(async () => {
  await rm(tmpDir, { recursive: true, force: true });
});

function wavHeader(bytes: Buffer): { sampleRate: number; bitsPerSample: number; channels: number } {
  expect(bytes.toString('latin1', 0, 4)).toBe('RIFF');
  expect(bytes.toString('latin1', 8, 12)).toBe('WAVE');
  return { channels: bytes.readUInt16LE(22), sampleRate: bytes.readUInt32LE(24), bitsPerSample: bytes.readUInt16LE(34) };
}

function request(params: ProviderRequest['params'], prompt = sentence): ProviderRequest {
  return { kind: 'speech', mode: 'text-to-speech', model: 'tts', prompt, params, images: [] };
}

async function probeSeconds(path: string): Promise<{ codec: string; seconds: number }> {
  const { stdout } = await promisify(execFile)(ffprobePath(), ['-v', 'error', '-print_format', 'json', '-show_streams', path]);
  const report = JSON.parse(stdout) as { streams: { codec_name: string; duration: string }[] };
  const stream = report.streams[0];
  if (stream === undefined) throw new Error(`no stream in ${path}`);
  return { codec: stream.codec_name, seconds: Number(stream.duration) };
}

describe('local/tts', () => {
  it('reports the WASM engine as available', async () => {
    expect(await ttsHealth()).toMatchObject({ status: 'ok' });
  });

  it('speaks a short sentence as a 22,050 Hz 16-bit WAV of plausible length', async () => {
    const speech = await synthesizeSpeech({ text: sentence, format: 'wav', tmpDir });
    const bytes = await readFile(speech.path);
    expect(wavHeader(bytes)).toEqual({ channels: 1, sampleRate: 22_050, bitsPerSample: 16 });
    expect(speech.mime).toBe('audio/wav');
    expect(speech.durationMs).toBeGreaterThan(1_000);
    expect(speech.durationMs).toBeLessThan(6_000);
    const probed = await probeSeconds(speech.path);
    expect(probed.seconds * 1000).toBeCloseTo(speech.durationMs, -2);
  });

  it('takes longer for longer text and less time at a higher speed', async () => {
    const short = await synthesizeSpeech({ text: sentence, format: 'wav', tmpDir });
    const long = await synthesizeSpeech({ text: `${sentence} ${sentence} ${sentence}`, format: 'wav', tmpDir });
    const fast = await synthesizeSpeech({ text: sentence, speed: 2, format: 'wav', tmpDir });
    const slow = await synthesizeSpeech({ text: sentence, speed: 0.5, format: 'wav', tmpDir });
    expect(long.durationMs).toBeGreaterThan(short.durationMs * 2.5);
    expect(fast.durationMs).toBeLessThan(short.durationMs * 0.75);
    expect(slow.durationMs).toBeGreaterThan(short.durationMs * 1.5);
  });

  it('sounds different per voice, and every listed voice speaks', async () => {
    const files = new Map<string, Buffer>();
    for (const voice of ttsVoices) {
      const speech = await synthesizeSpeech({ text: 'Hello, one two three.', voice, format: 'wav', tmpDir });
      files.set(voice, await readFile(speech.path));
      expect(speech.durationMs, voice).toBeGreaterThan(300);
    }
    // A variant espeak ignored would come out byte-identical to its base voice.
    for (const voice of ttsVoices.filter((name) => name.includes('+'))) {
      const base = voice.slice(0, voice.indexOf('+'));
      expect(files.get(voice)?.equals(files.get(base) ?? Buffer.alloc(0)), `${voice} vs ${base}`).toBe(false);
    }
    expect(files.get('fr')?.equals(files.get('de') ?? Buffer.alloc(0))).toBe(false);
  });

  it('keeps concurrent calls apart', async () => {
    const voices = ['en-us', 'de', 'fr'] as const;
    const together = await Promise.all(voices.map((voice) => synthesizeSpeech({ text: sentence, voice, format: 'wav', tmpDir })));
    for (const [index, voice] of voices.entries()) {
      const alone = await synthesizeSpeech({ text: sentence, voice, format: 'wav', tmpDir });
      const concurrent = together[index];
      expect(concurrent?.path).not.toBe(alone.path);
      expect((await readFile(concurrent?.path ?? '')).equals(await readFile(alone.path)), voice).toBe(true);
    }
  });

  it('encodes MP3 through ffmpeg', async () => {
    const speech = await synthesizeSpeech({ text: sentence, format: 'mp3', tmpDir });
    const bytes = await readFile(speech.path);
    const id3 = bytes.toString('latin1', 0, 3) === 'ID3';
    const frameSync = bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0;
    expect(id3 || frameSync).toBe(true);
    expect(speech.mime).toBe('audio/mpeg');
    const probed = await probeSeconds(speech.path);
    expect(probed.codec).toBe('mp3');
    expect(Math.abs(probed.seconds * 1000 - speech.durationMs)).toBeLessThan(150);
  });

  it('treats text that looks like an option as text', async () => {
    const speech = await synthesizeSpeech({ text: '-v fr --help', format: 'wav', tmpDir });
    expect(speech.durationMs).toBeGreaterThan(500);
  });

  it('serves a request through generateSpeech as a file output', async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const ctx: CallContext = {
      signal: controller.signal,
      key: undefined,
      tmpDir,
      progress: (update) => progress.push(update.progress ?? -1),
    };
    const result = await generateSpeech(request({ voice: 'en-gb', speed: 1.2, format: 'mp3' }), ctx);
    expect(result.status).toBe('completed');
    if (result.status !== 'completed') return;
    expect(result.outputs).toEqual([{ type: 'file', path: expect.stringMatching(/\.mp3$/), mime: 'audio/mpeg' }]);
    expect(progress).toContain(100);
  });

  it('stops before synthesis when the call is already canceled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(synthesizeSpeech({ text: sentence, format: 'wav', tmpDir, signal: controller.signal })).rejects.toMatchObject({
      errorClass: 'canceled',
    });
  });

  it('rejects an unknown voice, an out-of-range speed and unsupported params by field', () => {
    const check = (params: ProviderRequest['params']): unknown => {
      try {
        validateAgainstCapabilities('local', ttsModel, request(params));
        return undefined;
      } catch (error) {
        return error;
      }
    };
    const voice = check({ voice: 'klingon-robot' });
    expect(voice).toBeInstanceOf(InputError);
    expect(voice).toMatchObject({ field: 'params.voice' });
    expect((voice as InputError).allowed).toContain('en-us');
    expect(check({ speed: 3 })).toMatchObject({ field: 'params.speed' });
    expect(check({ duration: 5 })).toMatchObject({ field: 'params.duration' });
    expect(check({ format: 'png' })).toMatchObject({ field: 'params.format' });
    expect(check({ voice: 'en-us+f3', speed: 0.5, format: 'wav' })).toBeUndefined();
  });
});
