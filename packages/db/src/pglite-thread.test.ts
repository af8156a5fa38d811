// The embedded database on its worker thread: the same data directory opens in-process and on the
// thread alike, a client that drops off mid-transaction leaves nothing behind for the next one,
// and a thread that cannot open its directory says why. The repository conformance suite also
// runs on the thread (repository.test.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './open.ts';
import { startPgliteThread } from './pglite-thread.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mediagate-thread-'));
  dirs.push(dir);
  return dir;
}

describe('PGlite on a worker thread', () => {
  it('shares its data directory with in-process PGlite, both ways', async () => {
    const dataDir = join(await tempDir(), 'db');
    const onThread = await openDatabase({ dataDir, thread: true });
    await onThread.ensureTenant('ten_thread', 'written on the thread');
    const instance = await onThread.instanceId();
    await onThread.close();

    const inProcess = await openDatabase({ dataDir });
    expect(await inProcess.getTenant('ten_thread')).toMatchObject({ id: 'ten_thread', name: 'written on the thread' });
    expect(await inProcess.instanceId()).toBe(instance);
    await inProcess.ensureTenant('ten_process', 'written in process');
    await inProcess.close();

    const again = await openDatabase({ dataDir, thread: true });
    expect(await again.getTenant('ten_process')).toMatchObject({ id: 'ten_process', name: 'written in process' });
    await again.close();
  });

  it('rolls back what a client left open, and serves the next client from a clean slate', async () => {
    const thread = await startPgliteThread('memory://');
    try {
      const first = new pg.Client({ connectionString: thread.url });
      await first.connect();
      await first.query('CREATE TABLE notes (body text)');
      await first.query('BEGIN');
      await first.query("INSERT INTO notes VALUES ('never committed')");
      // Gone without COMMIT or ROLLBACK, as a crashed client would be.
      first.on('error', () => {});
      const closed = new Promise((resolve) => first.once('end', resolve));
      first.connection.stream.destroy();
      await closed;

      const second = new pg.Client({ connectionString: thread.url });
      await second.connect();
      expect((await second.query('SELECT count(*)::int AS n FROM notes')).rows).toEqual([{ n: 0 }]);
      // Not inside the first client's transaction: this commits for good.
      await second.query("INSERT INTO notes VALUES ('committed')");
      expect((await second.query('SELECT body FROM notes')).rows).toEqual([{ body: 'committed' }]);
      await second.end();
    } finally {
      await thread.close();
    }
  });

  it('fails to start with the reason when the data directory is not one', async () => {
    const file = join(await tempDir(), 'not-a-directory');
    await writeFile(file, 'plain file');
    await expect(startPgliteThread(file)).rejects.toThrow(/embedded database did not start: .+/);
  });
});
