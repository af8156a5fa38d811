// The filesystem AssetStore used by all-in-one runs: objects live at <root>/objects/<sha[0..2]>/<sha>,
// written to <root>/tmp first and renamed into place, so a crash never leaves a partial object.
import { createHash, hash, randomUUID } from 'node:crypto';
import fs, { createReadStream, createWriteStream, statSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '@mediagate/core';
import type { AssetSource, AssetStore, ByteRange, PutOptions, StoredObject } from './asset-store.ts';
import { StorageLimitError, assertAssetKey } from './asset-store.ts';

export interface LocalAssetStoreOptions {
  /**
   * Flush each object to disk before it is renamed into place (default true). Without it a power
   * loss (not a process crash) can leave an empty file under a final name on some filesystems.
   */
  durable?: boolean;
}

export class LocalAssetStore implements AssetStore {
  readonly root: string;
  private readonly durable: boolean;
  private readonly objectsDir: string;
  private readonly tmpDir: string;
  private ready: Promise<void> | undefined;
  /** Whether `ready` has settled well, so a write need not wait a turn for it. */
  private dirsMade = false;
  private readonly shardsMade = new Set<string>();

  constructor(root: string, options: LocalAssetStoreOptions = {}) {
    this.root = resolve(root);
    this.durable = options.durable ?? true;
    this.objectsDir = join(this.root, 'objects');
    this.tmpDir = join(this.root, 'tmp');
  }

  async put(source: AssetSource, options: PutOptions = {}): Promise<StoredObject> {
    if (!this.dirsMade) await this.ensureDirs();
    const { maxBytes } = options;
    if (source instanceof Uint8Array) return this.putBytes(source, maxBytes, options.flushLater === true);
    const tmpPath = this.newTmpPath();
    const hash = createHash('sha256');
    let size = 0;
    // Held so a failure can wait for the file to be opened and closed before removing it: the
    // stream opens asynchronously, and removing first would leave the file it then creates.
    const sink = createWriteStream(tmpPath, { flags: 'wx', flush: this.durable });
    try {
      await pipeline(
        toChunks(source),
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            size += chunk.byteLength;
            if (maxBytes !== undefined && size > maxBytes) throw new StorageLimitError(maxBytes);
            hash.update(chunk);
            yield chunk;
          }
        },
        sink,
      );
    } catch (error) {
      if (!sink.closed) await new Promise<void>((resolve) => sink.once('close', () => resolve()));
      await rm(tmpPath, { force: true });
      throw error;
    }
    const key = hash.digest('hex');
    await this.commit(tmpPath, key, size);
    return { key, sha256: key, size };
  }

  /**
   * Bytes already in memory: hashed first, so content already stored is not written again, and
   * written through one descriptor (a stream costs several times the CPU for a small output, a
   * FileHandle a fifth more than the plain calls). The key is our own hash, so its path needs no
   * check, and the address is looked up once: found, the object is there; not found, the rename
   * below is safe even if a concurrent writer gets there first. With `flushLater` the flush
   * starts as soon as the bytes are written and runs beside the rename; the file stays open
   * until it ends.
   */
  private async putBytes(bytes: Uint8Array, maxBytes: number | undefined, flushLater: boolean): Promise<StoredObject> {
    if (maxBytes !== undefined && bytes.byteLength > maxBytes) throw new StorageLimitError(maxBytes);
    const key = hash('sha256', bytes, 'hex');
    const size = bytes.byteLength;
    if (sizeOf(this.pathOf(key)) === size) return { key, sha256: key, size };
    const tmpPath = this.newTmpPath();
    let fd: number | undefined;
    let flushed: Promise<void> | undefined;
    try {
      fd = await openNew(tmpPath);
      await writeAll(fd, bytes);
      if (flushLater && this.durable) {
        const written = fd;
        flushed = datasync(written).finally(() => closeFile(written));
        // Handled here too: a caller that fails before it waits must not crash the process with it.
        flushed.catch(() => undefined);
      } else {
        if (this.durable) await datasync(fd);
        const closing = fd;
        fd = undefined;
        await closeFile(closing);
      }
      await this.moveIntoPlace(tmpPath, key);
    } catch (error) {
      // A flush under way closes the file when it ends; else it is closed here.
      if (flushed !== undefined) await flushed.catch(() => undefined);
      else if (fd !== undefined) await closeFile(fd).catch(() => undefined);
      await rm(tmpPath, { force: true });
      throw error;
    }
    return flushed === undefined ? { key, sha256: key, size } : { key, sha256: key, size, flushed };
  }

  async putFile(path: string, options: { move?: boolean } = {}): Promise<StoredObject> {
    const info = await stat(path);
    if (!info.isFile()) throw new TypeError(`not a regular file: ${path}`);
    if (options.move !== true) return this.put(createReadStream(path));

    await this.ensureDirs();
    const hash = createHash('sha256');
    await pipeline(createReadStream(path), hash);
    const key = hash.digest('hex');
    if (this.durable) await flushFile(path);
    try {
      await this.commit(path, key, info.size);
    } catch (error) {
      if (errorCode(error) !== 'EXDEV') throw error;
      // Another filesystem: copy through tmp (so the final name is still written atomically).
      const stored = await this.put(createReadStream(path));
      await unlink(path);
      return stored;
    }
    return { key, sha256: key, size: info.size };
  }

  async localPath(key: string): Promise<string> {
    const path = this.objectPath(key);
    if ((await this.stat(key)) === undefined) throw new NotFoundError('asset', key);
    return path;
  }

  createReadStream(key: string, range?: ByteRange): NodeJS.ReadableStream {
    const path = this.objectPath(key);
    if (range === undefined) return createReadStream(path);
    const { start, end } = range;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new RangeError(`invalid byte range ${start}-${end}`);
    }
    return createReadStream(path, { start, end });
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      const info = await stat(this.objectPath(key));
      return { size: info.size };
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.objectPath(key), { force: true });
  }

  /**
   * Removes temp files left behind by crashed writers. Only files older than `olderThanMs`
   * (default one hour) go, so writes in flight in other processes sharing the root survive.
   */
  async sweepTemp(olderThanMs = 3_600_000): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return 0;
      throw error;
    }
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names) {
      const path = join(this.tmpDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info === undefined || info.mtimeMs > cutoff) continue;
      await rm(path, { force: true });
      removed += 1;
    }
    return removed;
  }

  private objectPath(key: string): string {
    assertAssetKey(key);
    return this.pathOf(key);
  }

  /** Where the object of a key we hashed ourselves lives (hex only: nothing for join to normalize). */
  private pathOf(key: string): string {
    return `${this.objectsDir}${sep}${key.slice(0, 2)}${sep}${key}`;
  }

  private newTmpPath(): string {
    return join(this.tmpDir, randomUUID());
  }

  /** Renames `from` into its final name, or drops it when an identical object is already there. */
  private async commit(from: string, key: string, size: number): Promise<void> {
    if (sizeOf(this.pathOf(key)) === size) {
      await unlink(from);
      return;
    }
    await this.moveIntoPlace(from, key);
  }

  /** Same content under the same name, so a concurrent writer's rename is harmless either way. */
  private async moveIntoPlace(from: string, key: string): Promise<void> {
    await this.ensureShard(key, false);
    const finalPath = this.pathOf(key);
    try {
      await rename(from, finalPath);
    } catch (error) {
      // The shard directory was removed behind our cache (e.g. by an operator): make it again.
      if (errorCode(error) !== 'ENOENT') throw error;
      await this.ensureShard(key, true);
      await rename(from, finalPath);
    }
  }

  private async ensureShard(key: string, force: boolean): Promise<void> {
    const shard = key.slice(0, 2);
    if (!force && this.shardsMade.has(shard)) return;
    await mkdir(join(this.objectsDir, shard), { recursive: true });
    this.shardsMade.add(shard);
  }

  private ensureDirs(): Promise<void> {
    this.ready ??= Promise.all([
      mkdir(this.objectsDir, { recursive: true }),
      mkdir(this.tmpDir, { recursive: true }),
    ]).then(
      () => {
        this.dirsMade = true;
      },
      (error: unknown) => {
        this.ready = undefined;
        throw error;
      },
    );
    return this.ready;
  }
}

async function* toChunks(source: AssetSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  }
}

// The descriptor calls of putBytes, through `fs` at call time (so tests can stand in for them).
function openNew(path: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, 'wx', (error, fd) => (error ? reject(error) : resolve(fd))));
}

async function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength; ) {
    offset += await new Promise<number>((resolve, reject) =>
      fs.write(fd, bytes, offset, bytes.byteLength - offset, null, (error, written) => (error ? reject(error) : resolve(written))),
    );
  }
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

function closeFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (error) => (error ? reject(error) : resolve())));
}

async function flushFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/**
 * The size of the file at `path`, or undefined when there is none. A synchronous stat that does
 * not throw: an object's address is looked up on every write, and the promise API's ENOENT
 * (an Error with its stack, through the thread pool) cost ~50 µs of CPU each time against ~3 µs.
 */
function sizeOf(path: string): number | undefined {
  return statSync(path, { throwIfNoEntry: false })?.size;
}
