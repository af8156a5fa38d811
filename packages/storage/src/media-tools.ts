// Where the ffmpeg and ffprobe binaries are: an explicit env override, else the static builds
// shipped inside npm packages (no download at run time), else whatever is on PATH.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

const require = createRequire(import.meta.url);

function fromPackage(name: string): string | undefined {
  try {
    const installer = require(name) as { path?: string };
    return installer.path !== undefined && existsSync(installer.path) ? installer.path : undefined;
  } catch {
    return undefined;
  }
}

let ffmpeg: string | undefined;
let ffprobe: string | undefined;

export function ffmpegPath(): string {
  ffmpeg ??= process.env.MEDIAGATE_FFMPEG ?? fromPackage('@ffmpeg-installer/ffmpeg') ?? 'ffmpeg';
  return ffmpeg;
}

export function ffprobePath(): string {
  ffprobe ??= process.env.MEDIAGATE_FFPROBE ?? fromPackage('@ffprobe-installer/ffprobe') ?? 'ffprobe';
  return ffprobe;
}
