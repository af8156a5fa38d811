// Positional reads of a file for structural checks: the head is read once and reused, anything
// else is a single pread, so checking an output costs a few syscalls whatever its size.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

const defaultHeadBytes = 16_384;

/** What the structural checks read from: a file on disk or bytes already in memory. */
export interface ByteSource {
  readonly size: number;
  /** The first min(size, 16 KiB) bytes. */
  readonly head: Buffer;
  read(offset: number, length: number): Promise<Buffer>;
  tail(length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Bytes a provider returned in its answer: checked before they are ever written to disk. */
export class BufferReader implements ByteSource {
  readonly size: number;
  readonly head: Buffer;
  private readonly bytes: Buffer;

  constructor(bytes: Uint8Array, headBytes = defaultHeadBytes) {
    this.bytes = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = this.bytes.length;
    this.head = this.bytes.subarray(0, Math.min(this.size, headBytes));
  }

  async read(offset: number, length: number): Promise<Buffer> {
    return this.bytes.subarray(Math.min(offset, this.size), Math.min(this.size, offset + length));
  }

  tail(length: number): Promise<Buffer> {
    return this.read(Math.max(0, this.size - length), length);
  }

  async close(): Promise<void> {}
}

export class FileReader implements ByteSource {
  private constructor(
    private readonly handle: FileHandle,
    /** File size in bytes. */
    readonly size: number,
    /** The first min(size, headBytes) bytes. */
    readonly head: Buffer,
  ) {}

  static async open(path: string, headBytes = defaultHeadBytes): Promise<FileReader> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const head = Buffer.alloc(Math.min(size, headBytes));
      if (head.length > 0) await readFully(handle, head, 0);
      return new FileReader(handle, size, head);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Up to `length` bytes at `offset`; shorter only at the end of the file. */
  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    if (offset >= end) return Buffer.alloc(0);
    if (end <= this.head.length) return this.head.subarray(offset, end);
    const buffer = Buffer.alloc(end - offset);
    await readFully(this.handle, buffer, offset);
    return buffer;
  }

  /** The last min(size, length) bytes. */
  tail(length: number): Promise<Buffer> {
    const start = Math.max(0, this.size - length);
    return this.read(start, this.size - start);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function readFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) throw new Error(`file ended early at byte ${position + filled}`);
    filled += bytesRead;
  }
}
