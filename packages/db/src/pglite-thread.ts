// Starts the embedded database on a worker thread (pglite-thread-worker.js) and answers the
// postgres:// URL of its Unix socket, in a directory only this user can enter.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface PgliteThread {
  /** node-postgres connection string for the socket. */
  url: string;
  /** Closes the database cleanly and ends the thread. */
  close(): Promise<void>;
}

type WorkerMessage = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'closed' };

function nextMessage(worker: Worker): Promise<WorkerMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      worker.off('error', onError);
      resolve(message);
    };
    const onError = (error: Error) => {
      worker.off('message', onMessage);
      reject(error);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
  });
}

export async function startPgliteThread(dataDir: string): Promise<PgliteThread> {
  const socketDir = await mkdtemp(path.join(os.tmpdir(), 'mediagate-pglite-'));
  // node-postgres finds a server's socket as <host>/.s.PGSQL.<port>.
  const worker = new Worker(new URL('./pglite-thread-worker.js', import.meta.url), {
    workerData: { dataDir, socketPath: path.join(socketDir, '.s.PGSQL.5432') },
  });
  // Like in-process PGlite, the thread does not hold the process open; the pool's connection does while in use.
  worker.unref();
  const started = await nextMessage(worker).catch((error: unknown) => ({ type: 'failed' as const, message: String(error) }));
  if (started.type !== 'ready') {
    await worker.terminate();
    await rm(socketDir, { recursive: true, force: true });
    throw new Error(`embedded database did not start: ${started.type === 'failed' ? started.message : started.type}`);
  }
  return {
    url: `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`,
    async close() {
      const closed = nextMessage(worker).catch(() => undefined);
      worker.postMessage('close');
      await closed;
      await worker.terminate();
      await rm(socketDir, { recursive: true, force: true });
    },
  };
}
