// local/motion end to end: real MP4s probed with ffprobe for the duration, size, frame rate and
// tracks a user asked for, plus prompt parsing, cancellation and range checks.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, type GenerationParams } from '@mediagate/core';
import { ffprobePath } from '@mediagate/storage';
import type { CallContext, ImageInput, ProgressUpdate, ProviderRequest } from '../../contract.ts';
import { validateAgainstCapabilities } from '../../validate.ts';
import { planMotion } from './motion-filter.ts';
import {
  fitDuration,
  generateMotion,
  motionFromPrompt,
  motionHealth,
  motionModel,
  resolveMotion,
  validateMotionRequest,
} from './index.ts';

interface Probe {
  streams: {
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    pix_fmt?: string;
    r_frame_rate?: string;
    nb_frames?: string;
    duration?: string;
  }[];
  format: { duration: string };
}

let root: string;
let photo: ImageInput;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mediagate-motion-'));
  // A portrait photo with detail everywhere, so a wrong crop or stretch would change the output size.
  const path = join(root, 'photo.png');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="800">
    <rect width="600" height="800" fill="#1e3a8a"/><circle cx="300" cy="400" r="220" fill="#f59e0b"/>
    <rect x="40" y="40" width="120" height="120" fill="#10b981"/></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(path);
  photo = { path, mime: 'image/png', width: 600, height: 800 };
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function context(signal = new AbortController().signal): Promise<{ ctx: CallContext; updates: ProgressUpdate[] }> {
  const updates: ProgressUpdate[] = [];
  const tmpDir = await mkdtemp(join(root, 'call-'));
  return { ctx: { signal, key: undefined, tmpDir, progress: (update) => updates.push(update) }, updates };
}

function request(params: GenerationParams, images: ImageInput[] = [], prompt = 'Launch day: meet the new studio'): ProviderRequest {
  return { kind: 'video', mode: images.length > 0 ? 'image-to-video' : 'text-to-video', model: 'motion', prompt, params, images };
}

async function render(req: ProviderRequest): Promise<{ path: string; probe: Probe; updates: ProgressUpdate[]; ms: number }> {
  validateAgainstCapabilities('local', motionModel, req);
  const { ctx, updates } = await context();
  const started = performance.now();
  const result = await generateMotion(req, ctx);
  const ms = performance.now() - started;
  if (result.status !== 'completed') throw new Error('expected a completed result');
  const output = result.outputs[0];
  if (output?.type !== 'file') throw new Error('expected a file output');
  expect(output.mime).toBe('video/mp4');
  const probeArgs = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', output.path];
  const { stdout } = await promisify(execFile)(ffprobePath(), probeArgs);
  return { path: output.path, probe: JSON.parse(stdout) as Probe, updates, ms };
}

function video(probe: Probe): Probe['streams'][number] {
  const stream = probe.streams.find((candidate) => candidate.codec_type === 'video');
  if (stream === undefined) throw new Error('no video stream');
  return stream;
}

describe('local/motion', () => {
  it('finds ffmpeg with libx264', async () => {
    expect(await motionHealth()).toMatchObject({ status: 'ok' });
  });

  it('renders a 16:9 card clip of exactly the asked duration as H.264 yuv420p', async () => {
    const { probe, updates, ms } = await render(request({ duration: 5 }));
    const stream = video(probe);
    expect(stream).toMatchObject({ codec_name: 'h264', width: 1280, height: 720, pix_fmt: 'yuv420p', r_frame_rate: '30/1' });
    expect(Number(stream.nb_frames)).toBe(150);
    expect(Math.abs(Number(probe.format.duration) - 5)).toBeLessThanOrEqual(1 / 30);
    expect(probe.streams.some((candidate) => candidate.codec_type === 'audio')).toBe(false);
    const progress = updates.map((update) => update.progress ?? 0);
    expect(progress.at(-1)).toBe(100);
    expect(progress.some((value) => value > 10 && value < 100)).toBe(true);
    console.info(`5 s 1280x720@30 zoom-in: ${Math.round(ms)} ms`);
  });

  it('honours aspect ratio, fps and duration together', async () => {
    const { probe } = await render(request({ aspect_ratio: '9:16', fps: 24, duration: 2.5, motion: 'pan-up' }));
    const stream = video(probe);
    expect(stream).toMatchObject({ width: 720, height: 1280, r_frame_rate: '24/1' });
    expect(Number(stream.nb_frames)).toBe(60);
    expect(Math.abs(Number(probe.format.duration) - 2.5)).toBeLessThanOrEqual(1 / 24);
  });

  it('honours an explicit width and height', async () => {
    const { probe } = await render(request({ width: 640, height: 480, duration: 1, motion: 'rotate' }));
    expect(video(probe)).toMatchObject({ width: 640, height: 480 });
  });

  it('animates an image cover-fitted to the output size (image-to-video)', async () => {
    const { probe } = await render(request({ aspect_ratio: '1:1', duration: 2, motion: 'zoom-out' }, [photo], 'slow pan left'));
    const stream = video(probe);
    expect(stream).toMatchObject({ width: 720, height: 720, pix_fmt: 'yuv420p' });
    expect(Number(stream.nb_frames)).toBe(60);
  });

  it('muxes narration as an AAC track and lengthens the clip to fit it', async () => {
    const narration = 'Welcome to the studio. Everything here renders on your own machine.';
    const { probe } = await render(request({ duration: 1, narration, voice: 'en-us+f3' }));
    const audio = probe.streams.find((stream) => stream.codec_type === 'audio');
    expect(audio?.codec_name).toBe('aac');
    const seconds = Number(probe.format.duration);
    expect(seconds).toBeGreaterThan(2);
    expect(Math.abs(Number(video(probe).duration) - seconds)).toBeLessThan(0.1);
  });

  it('kills ffmpeg promptly when the call is aborted', async () => {
    const controller = new AbortController();
    const { ctx, updates } = await context(controller.signal);
    const running = generateMotion(request({ duration: 60, width: 1920, height: 1080, fps: 60 }), ctx);
    // Abort once encoding has started (past the still and into ffmpeg's progress reports).
    while (!updates.some((update) => (update.progress ?? 0) > 10)) await new Promise((resolve) => setTimeout(resolve, 20));
    const abortedAt = performance.now();
    controller.abort();
    await expect(running).rejects.toMatchObject({ name: 'ProviderError', errorClass: 'canceled' });
    expect(performance.now() - abortedAt).toBeLessThan(1_000);
    expect((await readdir(ctx.tmpDir)).some((name) => name.endsWith('.mp4'))).toBe(false);
  });

  it('reads the camera move from the prompt when params.motion is absent', () => {
    expect(motionFromPrompt('A slow push in on the city at night')).toBe('zoom-in');
    expect(motionFromPrompt('Zoom out to reveal the valley')).toBe('zoom-out');
    expect(motionFromPrompt('camera pulls back from the stage')).toBe('zoom-out');
    expect(motionFromPrompt('Panning left across the shelf')).toBe('pan-left');
    expect(motionFromPrompt('pan to the right over the skyline')).toBe('pan-right');
    expect(motionFromPrompt('tilt up to the spire')).toBe('pan-up');
    expect(motionFromPrompt('Pan down the waterfall')).toBe('pan-down');
    expect(motionFromPrompt('the logo spins gently')).toBe('rotate');
    expect(motionFromPrompt('static shot of a still life')).toBe('none');
    expect(motionFromPrompt('a still life with pineapples')).toBeUndefined();
    expect(motionFromPrompt('pan left, then zoom in')).toBe('pan-left');
    expect(resolveMotion(undefined, 'a quiet morning')).toBe('zoom-in');
    expect(resolveMotion('pan-right', 'zoom out')).toBe('pan-right');
  });

  it('plans an upscaled source for zoompan moves and a cropped overscan for rotate', () => {
    const zoom = planMotion({ motion: 'zoom-in', width: 1280, height: 720, fps: 30, frames: 150, strength: 'full' });
    expect(zoom.sourceWidth).toBeGreaterThanOrEqual(2560);
    expect(zoom.sourceWidth / zoom.sourceHeight).toBeCloseTo(16 / 9, 2);
    expect(zoom.filter).toContain('d=150:s=1280x720:fps=30');
    const rotate = planMotion({ motion: 'rotate', width: 1280, height: 720, fps: 30, frames: 150, strength: 'full' });
    expect(rotate.sourceWidth).toBeGreaterThan(1280);
    expect(rotate.sourceWidth).toBeLessThan(1600);
    expect(planMotion({ motion: 'none', width: 640, height: 480, fps: 30, frames: 1, strength: 'gentle' }).sourceWidth).toBe(640);
  });

  it('rejects out-of-range duration, fps and size naming the field and the range', () => {
    const failure = (params: GenerationParams, images: ImageInput[] = []): InputError => {
      try {
        const req = request(params, images);
        validateAgainstCapabilities('local', motionModel, req);
        validateMotionRequest(req);
      } catch (error) {
        if (error instanceof InputError) return error;
        throw error;
      }
      throw new Error(`accepted ${JSON.stringify(params)}`);
    };
    const duration = failure({ duration: 61 });
    expect(duration.field).toBe('params.duration');
    expect(duration.message).toContain('0.5–60');
    expect(failure({ duration: 0.2 }).field).toBe('params.duration');
    expect(failure({ fps: 90 }).field).toBe('params.fps');
    expect(failure({ width: 2400, height: 1080 }).field).toBe('params.width');
    expect(failure({ width: 641, height: 480 }).field).toBe('params.width');
    expect(failure({ aspect_ratio: '2:1' }).field).toBe('params.aspect_ratio');
    expect(failure({ voice: 'en-us' }).field).toBe('params.voice');
    expect(failure({ narration: 'hi', voice: 'robot' }).field).toBe('params.voice');
    expect(failure({ theme: 'neon' }, [photo]).field).toBe('params.theme');
    expect(failure({ speed: 2 }).field).toBe('params.speed');
  });

  it('fits the duration around narration and refuses narration past 60 s', () => {
    expect(fitDuration(5, 2_000, 30)).toBe(5);
    expect(fitDuration(5, 7_000, 30)).toBeCloseTo(7.4, 5);
    expect(() => fitDuration(5, 75_000, 30)).toThrow(/params\.narration/);
  });
});
