// local/motion: short MP4 clips made with ffmpeg by moving a camera over one still (a rendered
// card or the caller's image), optionally narrated by local/tts. Free, offline, deterministic.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, ProviderError, formatMime } from '@mediagate/core';
import { ffmpegPath } from '@mediagate/storage';
import type { CallContext, ModelSpec, ProviderHealth, ProviderRequest, SubmitResult, VideoCapabilities } from '../../contract.ts';
import { resolveDimensions } from '../../validate.ts';
import { synthesizeSpeech, ttsVoices } from '../tts/index.ts';
import { planMotion } from './motion-filter.ts';
import { resolveMotion } from './motion-keywords.ts';
import { runFfmpeg } from './run-ffmpeg.ts';
import { prepareStill } from './still-image.ts';

export { motionFromPrompt, resolveMotion } from './motion-keywords.ts';

/** 30 fps rather than 24: it divides 60 Hz displays evenly, so slow pans show no 3:2 judder. */
const defaultFps = 30;
const defaultDuration = 5;
/** Silence kept after the last spoken word when the video is lengthened to fit the narration. */
const narrationTailSeconds = 0.4;
/** Params the card renderer reads; they mean nothing when animating the caller's own image. */
const cardParams = ['theme', 'layout', 'colors', 'brand'] as const;

export const motionVideoCapabilities: VideoCapabilities = {
  aspectRatios: ['16:9', '9:16', '1:1', '4:5', '4:3', '3:4', '21:9'],
  explicitSize: true,
  width: { min: 64, max: 1920 },
  height: { min: 64, max: 1920 },
  multipleOf: 2,
  duration: { min: 0.5, max: 60 },
  fps: { min: 1, max: 60 },
  maxReferenceImages: 1,
};

export const motionModel: ModelSpec = {
  id: 'motion',
  description:
    'Ken Burns clips (zoom, pan, rotate) over a rendered card or your image, optional espeak narration; H.264 MP4, rendered locally',
  capabilities: {
    kind: 'video',
    modes: ['text-to-video', 'image-to-video'],
    params: ['duration', 'fps', 'motion', 'aspect_ratio', 'width', 'height', 'format', 'seed', 'narration', 'voice', ...cardParams],
    video: motionVideoCapabilities,
    maxN: 1,
    defaultFormat: 'mp4',
    async: false,
    cancel: false,
  },
  pricing: [{ basis: 'free', usd: 0, source: 'local ffmpeg', date: '2026-11-21' }],
  estimate: () => ({ usd: 0, basis: 'free (rendered on this machine)' }),
};

/**
 * Checks that `validateAgainstCapabilities` cannot express for this model: the narration voice
 * (video capabilities have no voice list) and card styling on a clip that renders no card.
 */
export function validateMotionRequest(request: ProviderRequest): void {
  const { params } = request;
  if (params.voice !== undefined) {
    if (params.narration === undefined) {
      throw new InputError('params.voice: local/motion uses a voice only for params.narration; add narration or drop voice', {
        field: 'params.voice',
      });
    }
    if (!(ttsVoices as readonly string[]).includes(params.voice)) {
      throw new InputError(`params.voice: ${JSON.stringify(params.voice)} is not supported; allowed: ${ttsVoices.join(', ')}`, {
        field: 'params.voice',
        allowed: ttsVoices,
      });
    }
  }
  if (request.images.length > 0) {
    const styling = cardParams.find((name) => params[name] !== undefined);
    if (styling !== undefined) {
      throw new InputError(`params.${styling}: styles the text card of text-to-video; an image-to-video clip animates your image as is`, {
        field: `params.${styling}`,
      });
    }
  }
}

/**
 * Narration longer than the asked duration lengthens the video (to the speech plus a short tail)
 * rather than cutting the audio: a sentence stopped mid-word is a broken result, a longer clip is
 * not. Past the model's 60 s limit the request cannot be honoured and fails as invalid input.
 */
export function fitDuration(requestedSeconds: number, narrationMs: number | undefined, fps: number): number {
  if (narrationMs === undefined) return requestedSeconds;
  const needed = narrationMs / 1000 + narrationTailSeconds;
  if (needed <= requestedSeconds) return requestedSeconds;
  const seconds = Math.ceil(needed * fps) / fps;
  const max = motionVideoCapabilities.duration.max;
  if (seconds > max) {
    throw new ProviderError(
      'invalid_input',
      `params.narration: spoken it lasts ${needed.toFixed(1)}s, longer than local/motion's ${max}s maximum; ` +
        'shorten the text',
    );
  }
  return seconds;
}

export async function generateMotion(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
  try {
    validateMotionRequest(request);
  } catch (error) {
    if (error instanceof InputError) throw new ProviderError('invalid_input', error.message, { cause: error });
    throw error;
  }
  const { params } = request;
  const { width, height } = resolveDimensions(params, motionVideoCapabilities, 720);
  const fps = params.fps ?? defaultFps;
  const motion = resolveMotion(params.motion, request.prompt);
  let lastProgress = -1;
  const report = (progress: number, message?: string): void => {
    const rounded = Math.floor(progress);
    if (rounded <= lastProgress) return;
    lastProgress = rounded;
    ctx.progress(message === undefined ? { progress: rounded } : { progress: rounded, message });
  };

  const narration =
    params.narration === undefined
      ? undefined
      : await synthesizeSpeech({
          text: params.narration,
          ...(params.voice !== undefined && { voice: params.voice }),
          format: 'wav',
          tmpDir: ctx.tmpDir,
          signal: ctx.signal,
        });
  const seconds = fitDuration(params.duration ?? defaultDuration, narration?.durationMs, fps);
  const frames = Math.max(1, Math.round(seconds * fps));
  const strength = request.images.length > 0 ? 'full' : 'gentle';
  const plan = planMotion({ motion, width, height, fps, frames, strength });
  report(5, narration === undefined ? 'preparing the still' : 'narration ready');

  const still = await prepareStill(
    request,
    { width, height, sourceWidth: plan.sourceWidth, sourceHeight: plan.sourceHeight },
    ctx.tmpDir,
  );
  report(10, `encoding ${frames} frames (${motion})`);

  const output = join(ctx.tmpDir, `motion-${randomBytes(4).toString('hex')}.mp4`);
  try {
    await runFfmpeg({
      args: ffmpegArgs({ stillPath: still.path, still, fps, frames, filter: plan.filter, narrationPath: narration?.path, output }),
      label: 'motion video',
      signal: ctx.signal,
      durationSeconds: frames / fps,
      onProgress: (fraction) => report(10 + fraction * 89),
    });
  } catch (error) {
    // A killed or failed encode leaves a truncated MP4; never let it look like an output.
    await rm(output, { force: true });
    throw error;
  } finally {
    await rm(still.path, { force: true });
  }
  report(100);
  return { status: 'completed', outputs: [{ type: 'file', path: output, mime: formatMime.mp4 }], costUsd: 0 };
}

/** Whether ffmpeg starts and has the H.264 encoder this model needs. */
export function motionHealth(): Promise<ProviderHealth> {
  return new Promise((resolve) => {
    execFile(ffmpegPath(), ['-hide_banner', '-encoders'], { timeout: 10_000 }, (error, stdout) => {
      if (error !== null) resolve({ status: 'unavailable', message: `ffmpeg at ${ffmpegPath()} does not run: ${error.message}` });
      else if (!/\blibx264\b/.test(stdout)) resolve({ status: 'unavailable', message: `ffmpeg at ${ffmpegPath()} lacks libx264` });
      else resolve({ status: 'ok', message: 'ffmpeg with libx264' });
    });
  });
}

interface EncodeInput {
  stillPath: string;
  still: { width: number; height: number };
  fps: number;
  frames: number;
  filter: string;
  narrationPath: string | undefined;
  output: string;
}

function ffmpegArgs(input: EncodeInput): string[] {
  const { fps, frames } = input;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', '-video_size', `${input.still.width}x${input.still.height}`);
  args.push('-framerate', String(fps), '-i', input.stillPath);
  let filter = input.filter;
  if (input.narrationPath !== undefined) {
    args.push('-i', input.narrationPath);
    // Padded with silence so the audio track spans the whole clip; -t below cuts it to length.
    filter += ';[1:a]aresample=48000,apad[a]';
  }
  args.push('-filter_complex', filter, '-map', '[v]');
  if (input.narrationPath !== undefined) args.push('-map', '[a]', '-c:a', 'aac', '-b:a', '96k', '-ac', '1');
  // An exact frame count (and -t for the audio) gives the asked duration to the frame.
  args.push('-frames:v', String(frames), '-t', (frames / fps).toFixed(6), '-r', String(fps));
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-profile:v', 'high', '-pix_fmt', 'yuv420p');
  args.push('-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709');
  args.push('-movflags', '+faststart', '-progress', 'pipe:1', '-nostats', input.output);
  return args;
}
