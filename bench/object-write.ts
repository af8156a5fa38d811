// What storing one small output costs the file system: a temp file created, written, closed and
// renamed into place, through a FileHandle (fs/promises) and through plain descriptor calls (as
// LocalAssetStore.putBytes does now), each with and without fdatasync. Interleaved rounds.
//
//   npx tsx bench/object-write.ts [--files 1500] [--rounds 3] [--bytes 300] [--dir <a directory on the disk to measure>]
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { round } from './server.ts';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '1500' },
    rounds: { type: 'string', default: '3' },
    bytes: { type: 'string', default: '300' },
    dir: { type: 'string' },
  },
});
const files = Number(values.files);
const bytes = randomBytes(Number(values.bytes));
const root = await mkdtemp(path.join(values.dir ?? os.tmpdir(), 'mediagate-object-write-'));
const tmp = path.join(root, 'tmp');
const objects = path.join(root, 'objects');
await mkdir(tmp);
await mkdir(objects);

const call = <T>(start: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T))));

type Write = (durable: boolean) => Promise<void>;

const fileHandle: Write = async (durable) => {
  const temp = path.join(tmp, randomUUID());
  const handle = await open(temp, 'wx');
  await handle.writeFile(bytes);
  if (durable) await handle.datasync();
  await handle.close();
  await rename(temp, path.join(objects, randomUUID()));
};

const descriptor: Write = async (durable) => {
  const temp = path.join(tmp, randomUUID());
  const fd = await call<number>((done) => fs.open(temp, 'wx', done));
  await call<number>((done) => fs.write(fd, bytes, 0, bytes.byteLength, null, done));
  if (durable) await call<void>((done) => fs.fdatasync(fd, done));
  await call<void>((done) => fs.close(fd, done));
  await call<void>((done) => fs.rename(temp, path.join(objects, randomUUID()), done));
};

const rows: Record<string, number | string>[] = [];
try {
  for (let roundIndex = 1; roundIndex <= Number(values.rounds); roundIndex += 1) {
    for (const durable of [false, true]) {
      for (const [name, write] of [['FileHandle', fileHandle], ['descriptor', descriptor]] as const) {
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        for (let index = 0; index < files; index += 1) await write(durable);
        const cpu = process.cpuUsage(cpuBefore);
        rows.push({
          round: roundIndex,
          calls: name,
          fdatasync: durable ? 'yes' : 'no',
          usPerFile: round(((performance.now() - started) * 1000) / files, 1),
          cpuUsPerFile: round((cpu.user + cpu.system) / files, 1),
        });
      }
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify({ scenario: `object write, ${bytes.byteLength} bytes, ${files} files per run`, rows })}\n`);
