import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StorageLimitError } from './asset-store.ts';
import { LocalAssetStore } from './local-store.ts';

let root: string;
let store: LocalAssetStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mediagate-store-'));
  store = new LocalAssetStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function objectFiles(): Promise<string[]> {
  const shards = await readdir(join(root, 'objects')).catch(() => []);
  const files = await Promise.all(shards.map((shard) => readdir(join(root, 'objects', shard))));
  return files.flat();
}

/** File descriptors this process has open (Linux). */
async function openFiles(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

describe('LocalAssetStore', () => {
  it('stores a buffer under its sha256 at objects/<ab>/<sha>', async () => {
    const bytes = Buffer.from('hello, media');
    const stored = await store.put(bytes);
    expect(stored).toEqual({ key: sha256(bytes), sha256: sha256(bytes), size: bytes.length });
    const path = await store.localPath(stored.key);
    expect(path).toBe(join(root, 'objects', stored.key.slice(0, 2), stored.key));
    expect(await readFile(path)).toEqual(bytes);
  });

  it('stores a Node stream and an async iterable with the same key as the buffer', async () => {
    const bytes = randomBytes(300_000);
    const fromStream = await store.put(Readable.from(chunked(bytes, 65_536)));
    const fromIterable = await store.put(chunked(bytes, 1_000));
    const fromPlainArray = await store.put(new Uint8Array(bytes));
    expect(fromStream.key).toBe(sha256(bytes));
    expect(fromIterable).toEqual(fromStream);
    expect(fromPlainArray).toEqual(fromStream);
    expect(await objectFiles()).toEqual([sha256(bytes)]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('with flushLater, answers once the object is in place and flushes it after', async () => {
    // Every fdatasync waits for the test to let it go, so the order is plain to see.
    const gates: (() => void)[] = [];
    const syncs = vi.spyOn(fs, 'fdatasync').mockImplementation((_fd, callback) => {
      gates.push(() => callback(null));
    });
    try {
      const bytes = randomBytes(5_000);
      const stored = await store.put(bytes, { flushLater: true });
      expect(stored).toMatchObject({ key: sha256(bytes), size: bytes.length });
      expect(await readFile(await store.localPath(stored.key))).toEqual(bytes);
      expect(await readdir(join(root, 'tmp'))).toEqual([]);
      expect(syncs).toHaveBeenCalledTimes(1);
      const held = await openFiles();
      let flushed = false;
      void stored.flushed?.then(() => (flushed = true));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(flushed).toBe(false);
      gates.shift()?.();
      await stored.flushed;
      expect(await openFiles()).toBe(held - 1);

      // Without it, the put itself waits for the flush, and answers with nothing to wait for.
      const plain = store.put(randomBytes(5_000));
      let answered = false;
      void plain.then(() => (answered = true));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(answered).toBe(false);
      gates.shift()?.();
      expect((await plain).flushed).toBeUndefined();

      // Content already stored is not written, nor flushed, again.
      expect((await store.put(bytes, { flushLater: true })).flushed).toBeUndefined();
      expect(syncs).toHaveBeenCalledTimes(2);
    } finally {
      syncs.mockRestore();
    }
  });

  it('with flushLater, reports a failed flush through flushed and still closes the file', async () => {
    const syncs = vi.spyOn(fs, 'fdatasync').mockImplementation((_fd, callback) => {
      process.nextTick(() => callback(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
    });
    try {
      const before = await openFiles();
      const stored = await store.put(randomBytes(1_000), { flushLater: true });
      await expect(stored.flushed).rejects.toThrow('EIO');
      expect(await openFiles()).toBe(before);
      // Never waited for: the store's own handler keeps this from becoming an unhandled rejection.
      await store.put(randomBytes(1_000), { flushLater: true });
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      syncs.mockRestore();
    }
  });

  it('with flushLater, a failed rename leaves no temp file and no open file behind', async () => {
    const first = await store.put(Buffer.from('makes the directories'));
    let bytes = randomBytes(2_000);
    while (sha256(bytes).slice(0, 2) === first.key.slice(0, 2)) bytes = randomBytes(2_000);
    // The object's shard directory cannot be made: a file holds its name.
    await writeFile(join(root, 'objects', sha256(bytes).slice(0, 2)), 'not a directory');
    const before = await openFiles();
    await expect(store.put(bytes, { flushLater: true })).rejects.toThrow();
    expect(await openFiles()).toBe(before);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('writes all the bytes when the file system takes them a part at a time', async () => {
    const write = fs.write.bind(fs) as (...args: unknown[]) => void;
    const writes = vi.spyOn(fs, 'write').mockImplementation(((fd: number, buffer: Uint8Array, offset: number, length: number, position: null, callback: unknown) =>
      write(fd, buffer, offset, Math.min(length, 1_000), position, callback)) as unknown as typeof fs.write);
    try {
      const bytes = randomBytes(4_500);
      const stored = await store.put(bytes, { flushLater: true });
      await stored.flushed;
      expect(writes).toHaveBeenCalledTimes(5);
      expect(await readFile(await store.localPath(stored.key))).toEqual(bytes);
    } finally {
      writes.mockRestore();
    }
  });

  it('leaves the flush to put when the store is not durable', async () => {
    const fast = new LocalAssetStore(root, { durable: false });
    expect((await fast.put(randomBytes(1_000), { flushLater: true })).flushed).toBeUndefined();
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('keeps one object when the same content is put concurrently', async () => {
    const bytes = randomBytes(200_000);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.put(chunked(bytes, 4_096))));
    expect(new Set(results.map((result) => result.key))).toEqual(new Set([sha256(bytes)]));
    expect(await objectFiles()).toEqual([sha256(bytes)]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(await readFile(await store.localPath(sha256(bytes)))).toEqual(bytes);
  });

  it('rejects content past maxBytes and leaves nothing in objects/ or tmp/', async () => {
    const bytes = randomBytes(10_000);
    await expect(store.put(chunked(bytes, 1_000), { maxBytes: 9_999 })).rejects.toBeInstanceOf(StorageLimitError);
    await expect(store.put(bytes, { maxBytes: 100 })).rejects.toThrow('exceeds the 100-byte limit');
    expect(await objectFiles()).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect((await store.put(bytes, { maxBytes: 10_000 })).size).toBe(10_000);
  });

  it('leaves nothing behind when the source stream fails midway', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('connection reset');
    }
    await expect(store.put(failing())).rejects.toThrow('connection reset');
    expect(await objectFiles()).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('copies a file by default and moves it with move: true', async () => {
    const bytes = randomBytes(50_000);
    const source = join(root, 'download.bin');
    await writeFile(source, bytes);
    const copied = await store.putFile(source);
    expect(copied.key).toBe(sha256(bytes));
    await access(source);

    const moved = await store.putFile(source, { move: true });
    expect(moved).toEqual(copied);
    await expect(access(source)).rejects.toThrow();

    const other = randomBytes(1_000);
    await writeFile(source, other);
    const movedNew = await store.putFile(source, { move: true });
    expect(movedNew).toEqual({ key: sha256(other), sha256: sha256(other), size: other.length });
    await expect(access(source)).rejects.toThrow();
    expect(await readFile(await store.localPath(movedNew.key))).toEqual(other);
  });

  it('reads whole objects and inclusive byte ranges', async () => {
    const { key } = await store.put(Buffer.from('0123456789'));
    expect(await text(store.createReadStream(key) as Readable)).toBe('0123456789');
    expect(await text(store.createReadStream(key, { start: 2, end: 5 }) as Readable)).toBe('2345');
    expect(await text(store.createReadStream(key, { start: 9, end: 9 }) as Readable)).toBe('9');
    expect(() => store.createReadStream(key, { start: 5, end: 2 })).toThrow(RangeError);
  });

  it('stats, deletes, and reports missing objects', async () => {
    const { key } = await store.put(Buffer.from('short-lived'));
    expect(await store.stat(key)).toEqual({ size: 11 });
    await store.delete(key);
    expect(await store.stat(key)).toBeUndefined();
    await store.delete(key);
    await expect(store.localPath(key)).rejects.toThrow('not found');
    await expect(text(store.createReadStream(key) as Readable)).rejects.toThrow(/ENOENT/);
  });

  it('rejects keys that are not sha256 hex, including traversal attempts', async () => {
    for (const bad of ['../../etc/passwd', 'ab', `${'a'.repeat(63)}/`, 'A'.repeat(64), `${'a'.repeat(64)}x`]) {
      await expect(store.stat(bad)).rejects.toThrow('invalid asset key');
      await expect(store.localPath(bad)).rejects.toThrow('invalid asset key');
      await expect(store.delete(bad)).rejects.toThrow('invalid asset key');
      expect(() => store.createReadStream(bad)).toThrow('invalid asset key');
    }
  });

  it('sweeps stale temp files left by crashed writers', async () => {
    await store.put(Buffer.from('x'));
    await writeFile(join(root, 'tmp', 'left-over'), 'partial');
    expect(await store.sweepTemp(60_000)).toBe(0);
    expect(await store.sweepTemp(-1)).toBe(1);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });
});
