// Runs espeak-ng: the WASM build from the optional `espeak-ng` npm package when it is installed,
// else an `espeak-ng` binary on PATH. Either way the result is WAV bytes (22,050 Hz, 16-bit mono).
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProviderError } from '@mediagate/core';
import type createESpeak from 'espeak-ng';
import { abortError } from '../motion/run-ffmpeg.ts';

export type Engine =
  | { kind: 'wasm'; create: typeof createESpeak }
  | { kind: 'binary'; path: string }
  | { kind: 'missing'; reason: string };

export interface SynthesisJob {
  text: string;
  voice: string;
  wordsPerMinute: number;
  /** Where the binary engine writes its input and output files. */
  tmpDir: string;
  signal?: AbortSignal | undefined;
}

export const installHint =
  'local/tts needs espeak-ng: run `npm install espeak-ng -w @mediagate/providers` (or install an espeak-ng binary on PATH)';

let detected: Promise<Engine> | undefined;

export function loadEngine(): Promise<Engine> {
  detected ??= detect();
  return detected;
}

async function detect(): Promise<Engine> {
  let reason: string;
  try {
    const module = await import('espeak-ng');
    return { kind: 'wasm', create: module.default };
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }
  const binary = process.env.MEDIAGATE_ESPEAK ?? 'espeak-ng';
  if (await exitsCleanly(binary, ['--version'])) return { kind: 'binary', path: binary };
  return { kind: 'missing', reason: `espeak-ng package not loadable (${reason}) and no ${binary} binary found` };
}

// One WASM instance per call keeps calls independent (each has its own memory and file system);
// running them one at a time bounds memory, since every instance holds ~100 MB of voice data.
let queue: Promise<unknown> = Promise.resolve();

function oneAtATime<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

export async function synthesizeWav(job: SynthesisJob): Promise<Uint8Array> {
  const engine = await loadEngine();
  if (engine.kind === 'missing') throw new ProviderError('server', `${installHint}; ${engine.reason}`);
  // The text goes through a file, not argv, so text starting with "-" is never read as an option.
  const args = ['-v', job.voice, '-s', String(job.wordsPerMinute)];
  return oneAtATime(async () => {
    if (job.signal?.aborted) throw abortError(job.signal, 'speech');
    const wav = engine.kind === 'wasm' ? await runWasm(engine.create, args, job.text) : await runBinary(engine.path, args, job);
    // The WASM run is synchronous and cannot be interrupted; honour a cancel that came meanwhile.
    if (job.signal?.aborted) throw abortError(job.signal, 'speech');
    return wav;
  });
}

async function runWasm(create: typeof createESpeak, args: string[], text: string): Promise<Uint8Array> {
  const messages: string[] = [];
  let status = 0;
  const instance = await create({
    arguments: ['-w', 'speech.wav', ...args, '-f', 'input.txt'],
    preRun: [(module) => module.FS.writeFile('input.txt', text)],
    print: () => undefined,
    printErr: (line) => {
      // Emscripten's own note about exit() while the runtime stays alive is noise, not espeak's.
      if (!line.startsWith('program exited')) messages.push(line);
    },
    quit: (code, toThrow) => {
      status = code;
      throw toThrow;
    },
  });
  if (status !== 0) throw failure(`exit ${status}`, messages);
  try {
    return instance.FS.readFile('speech.wav');
  } catch (error) {
    throw failure('no WAV written', messages, error);
  }
}

async function runBinary(binary: string, args: string[], job: SynthesisJob): Promise<Uint8Array> {
  const input = join(job.tmpDir, 'espeak-input.txt');
  const output = join(job.tmpDir, 'espeak-output.wav');
  await writeFile(input, job.text, 'utf8');
  const messages: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(binary, ['-w', output, ...args, '-f', input], { stdio: ['ignore', 'ignore', 'pipe'] });
    const onAbort = (): void => void child.kill('SIGKILL');
    job.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => messages.push(chunk.trim()));
    child.on('error', (error) => reject(failure('could not start', messages, error)));
    child.on('close', (code) => {
      job.signal?.removeEventListener('abort', onAbort);
      if (job.signal?.aborted) return reject(abortError(job.signal, 'speech'));
      if (code === 0) resolve();
      else reject(failure(`exit ${code ?? 'by signal'}`, messages));
    });
  });
  return readFile(output);
}

function failure(what: string, messages: string[], cause?: unknown): ProviderError {
  const detail = messages.filter((line) => line !== '').join(' ');
  return new ProviderError('server', `espeak-ng failed (${what})${detail ? `: ${detail}` : ''}`, { cause });
}

function exitsCleanly(binary: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}
