// Runs one ffmpeg command for the local models: progress from `-progress pipe:1`, a hard kill on
// abort, and every failure turned into a classified ProviderError carrying ffmpeg's own words.
import { spawn } from 'node:child_process';
import { ProviderError } from '@mediagate/core';
import { ffmpegPath } from '@mediagate/storage';

export interface FfmpegRun {
  args: readonly string[];
  /** What is being made, for error messages ("motion video", "mp3"). */
  label: string;
  signal?: AbortSignal | undefined;
  /** Output length in seconds; with `onProgress`, turns ffmpeg's out_time into a fraction. */
  durationSeconds?: number;
  /** Called with 0–1 as ffmpeg reports its position; needs `-progress pipe:1` in args. */
  onProgress?: (fraction: number) => void;
}

/** Enough of ffmpeg's stderr to explain a failure without holding a runaway log in memory. */
const stderrLimit = 16 * 1024;

/** The abort reason decides the class: the engine aborts on its attempt timeout as well as on cancel. */
export function abortError(signal: AbortSignal, what: string): ProviderError {
  const reason: unknown = signal.reason;
  const timedOut =
    (reason instanceof ProviderError && reason.errorClass === 'timeout') ||
    (reason instanceof Error && reason.name === 'TimeoutError');
  return timedOut
    ? new ProviderError('timeout', `${what}: attempt timed out`, { cause: reason })
    : new ProviderError('canceled', `${what}: canceled`, { cause: reason });
}

/** Seconds of output written so far, from one `key=value` line of ffmpeg's progress report. */
export function progressSeconds(line: string): number | undefined {
  const [key, value] = line.split('=', 2);
  if (value === undefined) return undefined;
  // ffmpeg 4.x names both keys in microseconds (out_time_ms is a long-standing misnomer).
  if (key === 'out_time_us' || key === 'out_time_ms') {
    const micros = Number(value);
    return Number.isFinite(micros) && micros >= 0 ? micros / 1_000_000 : undefined;
  }
  return undefined;
}

export function runFfmpeg(run: FfmpegRun): Promise<void> {
  const { signal } = run;
  if (signal?.aborted) return Promise.reject(abortError(signal, run.label));
  return new Promise((resolve, reject) => {
    const binary = ffmpegPath();
    const child = spawn(binary, run.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let aborted = false;
    let lastFraction = -1;
    let pending = '';

    const onAbort = (): void => {
      aborted = true;
      // The partial output is thrown away, so there is nothing for a graceful stop to finish.
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-stderrLimit);
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (run.onProgress === undefined || !run.durationSeconds) return;
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const seconds = progressSeconds(line.trim());
        if (seconds === undefined) continue;
        const fraction = Math.min(1, seconds / run.durationSeconds);
        if (fraction > lastFraction) {
          lastFraction = fraction;
          run.onProgress(fraction);
        }
      }
    });

    child.on('error', (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      const message =
        error.code === 'ENOENT'
          ? `${run.label}: ffmpeg not found at ${binary}; install @ffmpeg-installer/ffmpeg or set MEDIAGATE_FFMPEG`
          : `${run.label}: could not start ffmpeg: ${error.message}`;
      reject(new ProviderError('server', message, { cause: error }));
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (aborted && signal !== undefined) return reject(abortError(signal, run.label));
      if (code === 0) return resolve();
      const detail = lastLines(stderr, 4) || `exit ${code ?? killedBy ?? 'unknown'}`;
      reject(new ProviderError('server', `${run.label}: ffmpeg failed: ${detail}`));
    });
  });
}

function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(-count)
    .join(' | ');
}
