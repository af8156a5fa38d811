// The asset store contract: content-addressed, streamed-in bytes that workers and the API share.
// The local filesystem implements it for all-in-one runs; an S3-compatible bucket can for fleets.

/** One stored object. Its key is the sha256 of its bytes, so identical outputs are stored once. */
export interface StoredObject {
  /** Lower-case hex sha256 of the content; the object's only name. */
  key: string;
  /** Same as key today; kept separate so a store could use other key schemes later. */
  sha256: string;
  /** Byte length. */
  size: number;
  /**
   * Only from a put asked to `flushLater` that wrote the object: settles once the object is on
   * disk (it rejects when the flush fails).
   */
  flushed?: Promise<void>;
}

export interface PutOptions {
  /** Throws StorageLimitError past this many bytes, leaving nothing behind. */
  maxBytes?: number;
  /**
   * Bytes in memory only: return as soon as the object is in place under its name (readable by
   * anyone, and whole whatever happens to this process) and flush it to disk meanwhile, with
   * `flushed` telling when that is done. For a caller with its own slow step to run meanwhile,
   * that waits for both before it tells anyone of the object: a job's outputs flush while its
   * completion commits. Until the flush ends, a power loss (not a process crash) can leave the
   * object empty or missing.
   */
  flushLater?: boolean;
}

/** Bytes to store: a whole buffer, a Node stream, or any async iterable of chunks (e.g. fetch bodies). */
export type AssetSource = Uint8Array | AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

/** An inclusive byte range, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface AssetStore {
  /** Streams bytes in while hashing (bounded memory), content-addressed by sha256; throws StorageLimitError past maxBytes, leaving nothing behind. */
  put(source: AssetSource, options?: PutOptions): Promise<StoredObject>;
  /** Stores an existing local file; with move: true renames when on the same filesystem (else copies then unlinks). */
  putFile(path: string, options?: { move?: boolean }): Promise<StoredObject>;
  /** A local filesystem path to the object's bytes (for probing / ffmpeg input); remote stores may download to a cache. */
  localPath(key: string): Promise<string>;
  /** The object's bytes, or an inclusive range of them. A bad key or range throws at once; a missing object errors on the stream. */
  createReadStream(key: string, range?: ByteRange): NodeJS.ReadableStream;
  /** The object's size, or undefined when no such object exists. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Removes the object; deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
}

/** A put exceeded its byte limit; nothing was stored. Callers map it to 413 or `output_invalid`. */
export class StorageLimitError extends Error {
  override readonly name = 'StorageLimitError';
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    super(`content exceeds the ${maxBytes}-byte limit`);
    this.maxBytes = maxBytes;
  }
}

const keyPattern = /^[0-9a-f]{64}$/;

/** Rejects anything that is not a sha256 hex key, so keys can never escape the store's root. */
export function assertAssetKey(key: string): void {
  if (!keyPattern.test(key)) {
    throw new TypeError(`invalid asset key ${JSON.stringify(key.slice(0, 80))}: expected 64 lower-case hex characters`);
  }
}
