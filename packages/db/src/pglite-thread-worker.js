// The embedded database on a thread of its own: PGlite runs here and serves the PostgreSQL wire
// protocol on a Unix socket, so the main thread talks to it through node-postgres exactly as to a
// PostgreSQL server while the database's work runs beside the API and the workers. Bytes are
// handed to PGlite one whole protocol message at a time, in order. Plain JavaScript: a worker
// thread does not inherit the TypeScript loader the CLI registers. (pglite-socket does this too,
// but pins exact PGlite and extension versions as peers.)
import { createServer } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const protocolV3 = 196608;
const sslRequestCode = 80877103;
const cancelRequestCode = 80877102;
const gssEncRequestCode = 80877104;

// One PGlite session serves every connection, so their messages (and the rollback of a client that
// left mid-transaction) take turns here, in arrival order. The main thread holds one connection.
let chain = Promise.resolve();

/** @param {import('node:net').Socket} socket @param {PGlite} db */
function serve(socket, db) {
  let pending = Buffer.alloc(0);
  // Until the startup message, messages have no type byte: [length][code]...
  let started = false;
  socket.setNoDelay?.(true);
  socket.on('error', () => socket.destroy());
  // A client gone in the middle of a transaction must not leave it open for the next one.
  socket.on('close', () => {
    chain = chain.then(async () => {
      if (db.isInTransaction()) await db.exec('ROLLBACK');
    }).catch(() => undefined);
  });
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const messages = [];
    for (;;) {
      if (!started) {
        if (pending.length < 8) break;
        const length = pending.readInt32BE(0);
        if (pending.length < length) break;
        const code = pending.readInt32BE(4);
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        if (code === sslRequestCode || code === gssEncRequestCode) {
          // Neither TLS nor GSS encryption on a local socket: the client goes on in plain text.
          socket.write('N');
          continue;
        }
        if (code === cancelRequestCode) {
          socket.end();
          return;
        }
        if (code === protocolV3) started = true;
        messages.push(message);
        continue;
      }
      if (pending.length < 5) break;
      const length = 1 + pending.readInt32BE(1);
      if (pending.length < length) break;
      messages.push(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
    if (messages.length === 0) return;
    chain = chain.then(async () => {
      for (const message of messages) {
        if (socket.destroyed) return;
        // PGlite reuses the memory behind `data`: copy it before the socket queues it.
        await db.execProtocolRawStream(new Uint8Array(message), { onRawData: (data) => socket.write(Buffer.from(data)) });
      }
    }).catch(() => socket.destroy());
  });
}

let db;
let server;
try {
  db = await PGlite.create(workerData.dataDir);
  server = createServer((socket) => serve(socket, db));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(workerData.socketPath, () => resolve(undefined));
  });
  parentPort.postMessage({ type: 'ready' });
} catch (error) {
  parentPort.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}

parentPort.on('message', async (message) => {
  if (message !== 'close') return;
  try {
    await new Promise((resolve) => (server ? server.close(() => resolve(undefined)) : resolve(undefined)));
    await db?.close();
  } finally {
    parentPort.postMessage({ type: 'closed' });
  }
});
