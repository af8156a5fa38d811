// `mediagate migrate`: applies the SQL migrations in db/ to DATABASE_URL or the embedded database.
import path from 'node:path';
import { migrate } from '@mediagate/db';
import { acquireHomeLock, loadSettings, redactUrl } from '@mediagate/engine';

export async function migrateCommand(): Promise<number> {
  const settings = loadSettings();
  if (settings.databaseUrl !== undefined) {
    await migrate({ url: settings.databaseUrl });
    process.stdout.write(`migrations applied to ${redactUrl(settings.databaseUrl)}\n`);
    return 0;
  }
  const lock = acquireHomeLock(settings.home, { command: 'migrate' });
  try {
    const dataDir = path.join(settings.home, 'db');
    await migrate({ dataDir });
    process.stdout.write(`migrations applied to ${dataDir}\n`);
    return 0;
  } finally {
    lock.release();
  }
}
