// Runs ffprobe on a video or audio file and reduces its JSON to what verification needs: the
// first real video stream's size, whether audio exists, and the longest known duration.
import { execFile } from 'node:child_process';
import { ffprobePath } from './media-tools.ts';
import { MediaError } from './media-info.ts';

export interface AvProbe {
  video: { width: number; height: number } | undefined;
  hasAudio: boolean;
  /** undefined when neither the container nor any stream states one. */
  durationMs: number | undefined;
}

const timeoutMs = 30_000;

export async function runFfprobe(path: string, label: string): Promise<AvProbe> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(ffprobePath(), args, { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 }, (error, out, stderr) => {
      if (error === null) return resolve(out);
      if ('code' in error && error.code === 'ENOENT') {
        return reject(new Error(`ffprobe not found at ${ffprobePath()}; set MEDIAGATE_FFPROBE`, { cause: error }));
      }
      const detail = firstLine(stderr) ?? (error.killed ? `timed out after ${timeoutMs} ms` : error.message);
      reject(new MediaError('corrupt', `${label} is not decodable: ${detail}`, { cause: error }));
    });
  });
  return summarize(parseJson(stdout, label));
}

function parseJson(text: string, label: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (isRecord(value)) return value;
  } catch {
    // fall through
  }
  throw new MediaError('corrupt', `${label} is not decodable: ffprobe gave no readable report`);
}

function summarize(report: Record<string, unknown>): AvProbe {
  const streams = Array.isArray(report.streams) ? report.streams.filter(isRecord) : [];
  const format = isRecord(report.format) ? report.format : {};
  // Cover art in MP3/M4A shows up as a one-frame video stream flagged attached_pic.
  const videoStream = streams.find(
    (stream) => stream.codec_type === 'video' && !(isRecord(stream.disposition) && stream.disposition.attached_pic === 1),
  );
  const durations = [format, ...streams].map((entry) => seconds(entry.duration)).filter((value) => value > 0);
  return {
    video:
      videoStream === undefined
        ? undefined
        : { width: integer(videoStream.width), height: integer(videoStream.height) },
    hasAudio: streams.some((stream) => stream.codec_type === 'audio'),
    durationMs: durations.length === 0 ? undefined : Math.round(Math.max(...durations) * 1000),
  };
}

function seconds(value: unknown): number {
  const parsed = typeof value === 'string' || typeof value === 'number' ? Number(value) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : 0;
}

function integer(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) ? value : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstLine(text: string): string | undefined {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '');
  return line?.trim();
}
