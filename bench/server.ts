// Starts `mediagate start` (API and workers in one process) as a child process for a benchmark,
// exactly as a user runs it, and reads the API key it writes for the local CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.ts';

export interface BenchServer {
  origin: string;
  /** `Authorization` headers for /v1 (empty when the server asks for none). */
  headers: Record<string, string>;
  prefix: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface BenchServerOptions {
  port: number;
  database: 'pglite' | 'postgres';
  simulatedUrl: string;
  env?: Record<string, string>;
}

export async function startServer(options: BenchServerOptions): Promise<BenchServer> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'mediagate-bench-'));
  const prefix = `mgbench-${process.pid}-${options.port}`;
  const database: TestDatabase | undefined = options.database === 'postgres' ? await createTestDatabase() : undefined;
  const cli = fileURLToPath(new URL('../apps/cli/bin/mediagate.js', import.meta.url));
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, cli, 'start'], {
    env: {
      ...process.env,
      PORT: String(options.port),
      MEDIAGATE_HOME: home,
      MEDIAGATE_QUEUE_PREFIX: prefix,
      MEDIAGATE_SIMULATED_URL: options.simulatedUrl,
      LOG_LEVEL: 'warn',
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const stop = async () => {
    await endChild(child);
    await database?.drop();
    await rm(home, { recursive: true, force: true });
  };
  await untilReady(child, 'mediagate start:', 'server', stop);
  const key = await readFile(path.join(home, 'api-key'), 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  return { origin: `http://127.0.0.1:${options.port}`, headers: key ? { authorization: `Bearer ${key}` } : {}, prefix, process: child, stop };
}

export interface FloorServer {
  origin: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts bench/floor-server.ts as a child process on a throwaway PostgreSQL database. */
export async function startFloorServer(options: { port: number; simulatedUrl: string }): Promise<FloorServer> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'mediagate-floor-'));
  const database = await createTestDatabase();
  const script = fileURLToPath(new URL('./floor-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(options.port), database.url, options.simulatedUrl, directory], {
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const stop = async () => {
    await endChild(child);
    await database.drop();
    await rm(directory, { recursive: true, force: true });
  };
  await untilReady(child, 'floor server ready', 'floor server', stop);
  return { origin: `http://127.0.0.1:${options.port}`, process: child, stop };
}

/**
 * Resolves when the child prints `marker` on stderr (passing its other output on). If it exits
 * first, `stop` cleans up what was made for it and the start fails.
 */
async function untilReady(child: ChildProcess, marker: string, name: string, stop: () => Promise<void>): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        if (text.includes(marker)) resolve();
        else process.stderr.write(text);
      });
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    });
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Ends a child process with SIGTERM and waits for it (at once when it has already exited). */
async function endChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** User + system CPU milliseconds a process has used so far (Linux). */
export async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000;
}

/** The q-quantile of ascending `sorted` values. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}
