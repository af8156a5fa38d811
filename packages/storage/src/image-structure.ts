// Cheap structural checks and header-parsed dimensions for PNG, JPEG, WebP and GIF outputs.
// They read the head and a few tail bytes only, so verifying every output stays in microseconds.
import type { ByteSource } from './file-reader.ts';
import { MediaError } from './media-info.ts';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif';

export interface ImageSize {
  width: number;
  height: number;
}

/** Validates the file's structure and returns its pixel size; throws MediaError when invalid. */
export async function inspectImage(reader: ByteSource, format: ImageFormat): Promise<ImageSize> {
  const size = await readSize(reader, format);
  if (size.width <= 0 || size.height <= 0) {
    throw new MediaError('corrupt', `${label[format]} has zero dimensions (${size.width}×${size.height})`);
  }
  return size;
}

const label: Record<ImageFormat, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP', gif: 'GIF' };

function readSize(reader: ByteSource, format: ImageFormat): Promise<ImageSize> {
  switch (format) {
    case 'png':
      return pngSize(reader);
    case 'jpeg':
      return jpegSize(reader);
    case 'webp':
      return Promise.resolve(webpSize(reader));
    case 'gif':
      return gifSize(reader);
  }
}

// How far back end markers are looked for, allowing for zero padding after them.
const tailBytes = 1_024;

const pngEnd = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

async function pngSize(reader: ByteSource): Promise<ImageSize> {
  const { head } = reader;
  if (head.length < 33 || head.readUInt32BE(8) !== 13 || head.toString('latin1', 12, 16) !== 'IHDR') {
    throw new MediaError('corrupt', 'PNG is corrupt: no IHDR chunk after the signature');
  }
  const tail = trimZeros(await reader.tail(tailBytes));
  if (tail.length < pngEnd.length || !tail.subarray(tail.length - pngEnd.length).equals(pngEnd)) {
    throw new MediaError('truncated', 'PNG is truncated: no IEND chunk');
  }
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

// Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
const startOfFrame = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

async function jpegSize(reader: ByteSource): Promise<ImageSize> {
  const tail = trimZeros(await reader.tail(tailBytes));
  if (tail.length < 2 || tail[tail.length - 2] !== 0xff || tail[tail.length - 1] !== 0xd9) {
    throw new MediaError('truncated', 'JPEG is truncated: no end-of-image marker (FFD9)');
  }
  let offset = 2;
  // Segment headers before the frame header are few (APPn, DQT, DHT); the cap stops garbage loops.
  for (let segments = 0; segments < 1_000 && offset + 4 <= reader.size; segments += 1) {
    const header = await reader.read(offset, 9);
    if (header[0] !== 0xff) break;
    const marker = header[1] ?? 0;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (startOfFrame.has(marker)) {
      if (header.length < 9) break;
      return { height: header.readUInt16BE(5), width: header.readUInt16BE(7) };
    }
    if (marker === 0xda || marker === 0xd9) break; // scan data or end before any frame header
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      offset += 2;
      continue;
    }
    offset += 2 + header.readUInt16BE(2);
  }
  throw new MediaError('corrupt', 'JPEG is corrupt: no frame header (SOF) before the image data');
}

function webpSize(reader: ByteSource): ImageSize {
  const { head, size } = reader;
  if (head.length < 30) throw new MediaError('truncated', 'WebP is truncated: header incomplete');
  const declared = head.readUInt32LE(4) + 8;
  if (declared > size) {
    throw new MediaError('truncated', `WebP is truncated: RIFF header declares ${declared} bytes, file has ${size}`);
  }
  if (declared !== size) {
    throw new MediaError('corrupt', `WebP is corrupt: RIFF header declares ${declared} bytes, file has ${size}`);
  }
  const chunk = head.toString('latin1', 12, 16);
  if (chunk === 'VP8 ' && head[23] === 0x9d && head[24] === 0x01 && head[25] === 0x2a) {
    return { width: head.readUInt16LE(26) & 0x3fff, height: head.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L' && head[20] === 0x2f) {
    const bits = head.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    return { width: head.readUIntLE(24, 3) + 1, height: head.readUIntLE(27, 3) + 1 };
  }
  throw new MediaError('corrupt', `WebP is corrupt: unexpected first chunk ${JSON.stringify(chunk)}`);
}

async function gifSize(reader: ByteSource): Promise<ImageSize> {
  const { head } = reader;
  if (head.length < 13) throw new MediaError('truncated', 'GIF is truncated: header incomplete');
  const tail = trimZeros(await reader.tail(tailBytes));
  if (tail[tail.length - 1] !== 0x3b) throw new MediaError('truncated', 'GIF is truncated: no trailer byte (3B)');
  return { width: head.readUInt16LE(6), height: head.readUInt16LE(8) };
}

/** Some writers pad files to a block size with zero bytes; none of the end markers end in zero. */
function trimZeros(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end -= 1;
  return bytes.subarray(0, end);
}
