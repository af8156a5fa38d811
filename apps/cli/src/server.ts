// Which server a command talks to: --server when given, else a `mediagate start`/`api` running
// on this machine over the same embedded database (found through its lock file).
import { loadSettings, readLock } from '@mediagate/engine';

export function serverFor(flag: string | undefined): string | undefined {
  if (flag !== undefined) return flag;
  const settings = loadSettings();
  if (settings.databaseUrl !== undefined) return undefined;
  return readLock(settings.home)?.url;
}
