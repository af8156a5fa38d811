// Real media bytes for the OpenAI and ElevenLabs fakes: images in each output format, MP3 made
// by the repo's ffmpeg from a WAV tone, and MP4 from the simulated provider's renderer.
import { spawn } from 'node:child_process';
import sharp from 'sharp';
import { ffmpegPath } from '@mediagate/storage';
import { mp4Video, pngImage, wavAudio } from '../../../packages/providers/src/simulated/media.ts';

export { mp4Video, wavAudio };

export async function image(width: number, height: number, format: 'png' | 'jpeg' | 'webp', seed = 1): Promise<Buffer> {
  const png = pngImage(width, height, seed);
  if (format === 'png') return png;
  return format === 'jpeg' ? sharp(png).jpeg({ quality: 80 }).toBuffer() : sharp(png).webp({ quality: 80 }).toBuffer();
}

const mp3s = new Map<string, Promise<Buffer>>();

/** An MP3 (libmp3lame) of a sine tone, `seconds` long. */
export function mp3Audio(seconds: number, frequency = 440): Promise<Buffer> {
  const key = `${seconds}:${frequency}`;
  let pending = mp3s.get(key);
  if (pending === undefined) {
    pending = new Promise<Buffer>((resolve, reject) => {
      const child = spawn(ffmpegPath(), ['-v', 'error', '-f', 'wav', '-i', 'pipe:0', '-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3', 'pipe:1']);
      const chunks: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg exited with ${code}`))));
      child.stdin.end(wavAudio(seconds, frequency));
    });
    mp3s.set(key, pending);
    pending.catch(() => mp3s.delete(key));
  }
  return pending;
}

/** 16-bit mono PCM without a header, as `pcm_24000` answers. */
export function pcm24k(seconds: number, frequency = 330): Buffer {
  const samples = Math.round(seconds * 24_000);
  const data = Buffer.alloc(samples * 2);
  for (let index = 0; index < samples; index++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * frequency * index) / 24_000) * 8000), index * 2);
  return data;
}
