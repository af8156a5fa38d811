// Embedded PGlite can be opened by one process at a time. This lock makes a second process say
// so clearly (and point at the running server) instead of corrupting the data directory.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface LockInfo {
  pid: number;
  command: string;
  /** Set by `mediagate start`/`api`: where the running server answers. */
  url?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockPath(home: string): string {
  return path.join(home, 'db.lock');
}

/** The live holder of the lock, if any (a stale lock of a dead process counts as none). */
export function readLock(home: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(lockPath(home), 'utf8')) as LockInfo;
    return alive(info.pid) && info.pid !== process.pid ? info : undefined;
  } catch {
    return undefined;
  }
}

export class HomeLockedError extends Error {
  override readonly name = 'HomeLockedError';
  readonly holder: LockInfo;
  constructor(home: string, holder: LockInfo) {
    super(
      `the embedded database in ${home} is in use by \`mediagate ${holder.command}\` (pid ${holder.pid})` +
        (holder.url ? `; pass --server ${holder.url}` : '') +
        ', or set DATABASE_URL to a PostgreSQL database to run several processes',
    );
    this.holder = holder;
  }
}

/** Takes the lock or throws HomeLockedError; returns a function that releases it. */
export function acquireHomeLock(home: string, info: Omit<LockInfo, 'pid'>): { update(url: string): void; release(): void } {
  mkdirSync(home, { recursive: true });
  const file = lockPath(home);
  const holder = readLock(home);
  if (holder) throw new HomeLockedError(home, holder);
  const write = (extra: Partial<LockInfo>) => writeFileSync(file, JSON.stringify({ ...info, ...extra, pid: process.pid }));
  write({});
  return {
    update(url) {
      write({ url });
    },
    release() {
      try {
        const current = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
        if (current.pid === process.pid) unlinkSync(file);
      } catch {
        // already gone
      }
    },
  };
}
