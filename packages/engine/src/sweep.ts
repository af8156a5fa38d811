// Scratch space under MEDIAGATE_HOME/tmp: made and removed around a piece of work, and swept of
// what crashed processes left behind (only entries older than an hour, never work in flight).
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { LocalAssetStore } from '@mediagate/storage';
import type { Runtime } from './runtime.ts';

/** Runs `work` with a fresh scratch directory under MEDIAGATE_HOME/tmp, removed afterwards. */
export async function withScratch<T>(runtime: Runtime, label: string, work: (dir: string) => Promise<T>): Promise<T> {
  const root = path.join(runtime.settings.home, 'tmp');
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(path.join(root, `${label}-`));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function sweepScratch(runtime: Runtime, olderThanMs = 3_600_000): Promise<number> {
  const root = path.join(runtime.settings.home, 'tmp');
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    names = [];
  }
  const cutoff = Date.now() - olderThanMs;
  let removed = 0;
  for (const name of names) {
    const entry = path.join(root, name);
    const info = await stat(entry).catch(() => undefined);
    if (info === undefined || info.mtimeMs > cutoff) continue;
    await rm(entry, { recursive: true, force: true });
    removed += 1;
  }
  if (runtime.store instanceof LocalAssetStore) removed += await runtime.store.sweepTemp(olderThanMs);
  return removed;
}
