// Removes scratch files that crashed attempts and uploads left behind. Only entries older than
// an hour go, so work in flight in other processes sharing the home is never touched.
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { LocalAssetStore } from '@mediagate/storage';
import type { Runtime } from './runtime.ts';

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
