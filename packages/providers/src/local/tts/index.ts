// local/tts: speech from text with espeak-ng, offline and free. Also the narration source for
// local/motion, which calls `synthesizeSpeech` directly.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProviderError, formatMime } from '@mediagate/core';
import type { CallContext, ModelSpec, ProviderHealth, ProviderRequest, SubmitResult } from '../../contract.ts';
import { runFfmpeg } from '../motion/run-ffmpeg.ts';
import { installHint, loadEngine, synthesizeWav } from './espeak-engine.ts';
import { defaultVoice, speedRange, ttsVoices, wordsPerMinute } from './voices.ts';
import { wavDurationMs } from './wav-duration.ts';

export { ttsVoices } from './voices.ts';

export interface SpeechInput {
  text: string;
  /** One of `ttsVoices`; en-us when absent. */
  voice?: string;
  /** Rate multiplier, 0.5–2; 1 is espeak's normal 175 words per minute. */
  speed?: number;
  format: 'wav' | 'mp3';
  /** The file is written here, under a unique name. */
  tmpDir: string;
  signal?: AbortSignal;
}

export interface SpeechFile {
  path: string;
  mime: string;
  durationMs: number;
}

export const ttsModel: ModelSpec = {
  id: 'tts',
  description: 'Speech from text with espeak-ng: robotic but clear, ~40 voices and languages, WAV or MP3',
  capabilities: {
    kind: 'speech',
    modes: ['text-to-speech'],
    params: ['voice', 'speed', 'format'],
    speech: { voices: ttsVoices, formats: ['wav', 'mp3'], speed: speedRange, maxCharacters: 20_000 },
    maxN: 1,
    defaultFormat: 'wav',
    async: false,
    cancel: false,
  },
  pricing: [{ basis: 'free', usd: 0, source: 'local espeak-ng', date: '2026-11-21' }],
  estimate: () => ({ usd: 0, basis: 'free (runs on this machine)' }),
};

let fileCounter = 0;

export async function synthesizeSpeech(input: SpeechInput): Promise<SpeechFile> {
  const voice = input.voice ?? defaultVoice;
  const wav = await synthesizeWav({
    text: input.text,
    voice,
    wordsPerMinute: wordsPerMinute(input.speed),
    tmpDir: input.tmpDir,
    signal: input.signal,
  });
  let durationMs: number;
  try {
    durationMs = wavDurationMs(wav);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProviderError('output_invalid', `espeak-ng wrote an unreadable WAV: ${reason}`, { cause: error });
  }
  if (durationMs <= 0) throw new ProviderError('output_invalid', 'espeak-ng produced no audio for this text');

  fileCounter += 1;
  const stem = join(input.tmpDir, `speech-${process.pid}-${fileCounter}`);
  const wavPath = `${stem}.wav`;
  await writeFile(wavPath, wav);
  if (input.format === 'wav') return { path: wavPath, mime: formatMime.wav, durationMs };

  const mp3Path = `${stem}.mp3`;
  await runFfmpeg({
    // Speech is mono 22 kHz: 64 kb/s CBR is transparent for it and gives an exact duration header.
    args: ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', wavPath, '-c:a', 'libmp3lame', '-b:a', '64k', mp3Path],
    label: 'speech mp3',
    signal: input.signal,
  });
  return { path: mp3Path, mime: formatMime.mp3, durationMs };
}

export async function generateSpeech(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
  const format = request.params.format ?? 'wav';
  if (format !== 'wav' && format !== 'mp3') {
    // validateAgainstCapabilities rejects this first; reaching here is a caller bug, not a retry.
    throw new ProviderError('invalid_input', `params.format: local/tts makes wav or mp3, not ${format}`);
  }
  const speech = await synthesizeSpeech({
    text: request.prompt,
    ...(request.params.voice !== undefined && { voice: request.params.voice }),
    ...(request.params.speed !== undefined && { speed: request.params.speed }),
    format,
    tmpDir: ctx.tmpDir,
    signal: ctx.signal,
  });
  ctx.progress({ progress: 100 });
  return { status: 'completed', outputs: [{ type: 'file', path: speech.path, mime: speech.mime }] };
}

export async function ttsHealth(): Promise<ProviderHealth> {
  const engine = await loadEngine();
  if (engine.kind === 'wasm') return { status: 'ok', message: 'espeak-ng (WASM package)' };
  if (engine.kind === 'binary') return { status: 'ok', message: `espeak-ng binary (${engine.path})` };
  return { status: 'unavailable', message: `${installHint}; ${engine.reason}` };
}
