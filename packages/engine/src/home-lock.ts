// Embedded PGlite can be opened by one process at a time. This lock makes a second process say
// so clearly (and point at the running server) instead of corrupting the data directory.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
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
  let text: string;
  try {
    text = readFileSync(lockPath(home), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return alive(info.pid) && info.pid !== process.pid ? info : undefined;
  } catch {
    // Unreadable (being written this instant): held, by whom we cannot say.
    return { pid: 0, command: 'another command' };
  }
}

export class HomeLockedError extends Error {
  override readonly name = 'HomeLockedError';
  readonly holder: LockInfo;
  constructor(home: string, holder: LockInfo) {
    super(
      `the embedded database in ${home} is in use by ` +
        (holder.pid > 0 ? `\`mediagate ${holder.command}\` (pid ${holder.pid})` : 'another mediagate process') +
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
  // Replaced whole (write then rename), so a reader never sees half a lock file.
  const write = (extra: Partial<LockInfo>) => {
    const staging = `${file}.${process.pid}`;
    writeFileSync(staging, JSON.stringify({ ...info, ...extra, pid: process.pid }));
    renameSync(staging, file);
  };
  for (let tries = 0; ; tries++) {
    try {
      // Exclusive create: of two processes starting together, exactly one gets the lock.
      closeSync(openSync(file, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) {
        const holder = readLock(home);
        throw new HomeLockedError(home, holder ?? { pid: 0, command: 'another command' });
      }
      const holder = readLock(home);
      if (holder) throw new HomeLockedError(home, holder);
      // The holder is gone: take the stale lock over.
      unlinkSync(file);
    }
  }
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
