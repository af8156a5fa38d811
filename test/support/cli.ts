// Runs the `mediagate` command as a user would, in a child process, against an isolated home
// directory and queue prefix on the real local Redis; also inspects the media files it writes.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Queues } from '@mediagate/engine';
import { ffmpegPath, ffprobePath } from '@mediagate/storage';

const binPath = fileURLToPath(new URL('../../apps/cli/bin/mediagate.js', import.meta.url));
const redisUrl = 'redis://127.0.0.1:6379';

export interface CliResult {
  /** Exit code; null when the process was killed (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Killed after this long, so a hanging command fails its test instead of the whole file. */
  timeoutMs?: number;
}

export interface CliHome {
  /** MEDIAGATE_HOME: embedded database, assets and the lock file. */
  home: string;
  /** The working directory commands run in; relative `-o` paths land here. */
  workDir: string;
  prefix: string;
  env: Record<string, string>;
  run(args: string[], options?: RunOptions): Promise<CliResult>;
  /** Starts a long-running command (`start`, `worker`) and keeps its output readable. */
  spawn(args: string[], options?: RunOptions): RunningCli;
  /** Files in the asset store: a bad request must not add any. */
  storedAssets(): Promise<number>;
  /** Entries in every provider queue of this prefix, in any state. */
  queuedEntries(providers: readonly string[]): Promise<number>;
  cleanup(): Promise<void>;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr contains `text`; rejects if the process exits first or time runs out. */
  waitForStderr(text: string, timeoutMs: number): Promise<void>;
  /** Resolves with the exit of the process; kills it with SIGKILL after `timeoutMs`. */
  exited(timeoutMs: number): Promise<CliResult>;
}

function spawnCli(args: string[], cwd: string, env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, [binPath, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const waiter of waiters) waiter();
  });
  const exit = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStderr(text, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!stderr.includes(text)) return;
          finish();
          resolve();
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no "${text}" on stderr after ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        void exit.then((result) => {
          if (!waiters.has(check)) return;
          finish();
          reject(new Error(`exited with ${result.code ?? result.signal} before "${text}"; stderr: ${stderr}`));
        });
        check();
      });
    },
    async exited(timeoutMs) {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export async function createCliHome(): Promise<CliHome> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mediagate-cli-'));
  const home = path.join(root, 'home');
  const workDir = path.join(root, 'work');
  await mkdir(workDir, { recursive: true });
  const prefix = `mgcli-${randomBytes(4).toString('hex')}`;
  const env = { MEDIAGATE_HOME: home, MEDIAGATE_QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', REDIS_URL: redisUrl, NO_COLOR: '1' };
  // A developer's own settings must not leak into the commands under test.
  const cleared = { DATABASE_URL: '', MEDIAGATE_SIMULATED_URL: '', PORT: '', HOST: '', MEDIAGATE_API_KEY: '' };
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const start = (args: string[], options: RunOptions = {}) => spawnCli(args, workDir, { ...cleared, ...env, ...options.env });
  return {
    home,
    workDir,
    prefix,
    env,
    run: (args, options = {}) => start(args, options).exited(options.timeoutMs ?? 90_000),
    spawn: start,
    async storedAssets() {
      const files = await readdir(path.join(home, 'assets'), { recursive: true, withFileTypes: true }).catch(() => []);
      return files.filter((entry) => entry.isFile()).length;
    },
    async queuedEntries(providers) {
      const queues = new Queues(redis, prefix);
      try {
        const counts = await Promise.all(providers.map((provider) => queues.queue(provider).getJobCounts()));
        return counts.reduce((sum, byState) => sum + Object.values(byState).reduce((total, count) => total + count, 0), 0);
      } finally {
        await queues.close();
      }
    },
    async cleanup() {
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${prefix}*`, 'COUNT', 500);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function execText(file: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} failed: ${stderr.toString()}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

export interface ProbedMedia {
  formatName: string;
  duration: number;
  video?: { codec: string; width: number; height: number; fps: number; duration: number };
  audio?: { codec: string; duration: number };
}

function rate(text: string | undefined): number {
  const [numerator, denominator] = (text ?? '0/1').split('/').map(Number);
  return denominator ? (numerator ?? 0) / denominator : 0;
}

/** What ffprobe says about a media file. */
export async function probe(file: string): Promise<ProbedMedia> {
  const out = await execText(ffprobePath(), ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file]);
  const parsed = JSON.parse(out.toString('utf8')) as {
    format: { format_name: string; duration?: string };
    streams: { codec_type: string; codec_name: string; width?: number; height?: number; r_frame_rate?: string; duration?: string }[];
  };
  const video = parsed.streams.find((stream) => stream.codec_type === 'video');
  const audio = parsed.streams.find((stream) => stream.codec_type === 'audio');
  return {
    formatName: parsed.format.format_name,
    duration: Number(parsed.format.duration ?? NaN),
    ...(video
      ? { video: { codec: video.codec_name, width: video.width ?? 0, height: video.height ?? 0, fps: rate(video.r_frame_rate), duration: Number(video.duration ?? NaN) } }
      : {}),
    ...(audio ? { audio: { codec: audio.codec_name, duration: Number(audio.duration ?? NaN) } } : {}),
  };
}

/** One video frame at `seconds`, as PNG bytes. */
export function frameAt(file: string, seconds: number): Promise<Buffer> {
  return execText(ffmpegPath(), ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-f', 'image2pipe', '-vcodec', 'png', '-']);
}
