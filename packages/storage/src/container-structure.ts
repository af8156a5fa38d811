// Cheap end-of-file checks for MP4/MOV and WebM before ffprobe runs: ffprobe happily reports the
// declared duration of a file whose media data was cut off, so the box/element sizes are checked here.
import type { ByteSource } from './file-reader.ts';
import { MediaError } from './media-info.ts';

const maxTopLevelBoxes = 100_000;

/** Walks the top-level ISO-BMFF boxes: each must fit in the file, and a `moov` box must exist. */
export async function checkIsoBoxes(reader: ByteSource, label: string): Promise<void> {
  let offset = 0;
  let sawMovie = false;
  for (let boxes = 0; offset < reader.size; boxes += 1) {
    if (boxes >= maxTopLevelBoxes) throw new MediaError('corrupt', `${label} is corrupt: too many top-level boxes`);
    const header = await reader.read(offset, 16);
    if (header.length < 8) {
      if (header.every((byte) => byte === 0)) break; // zero padding
      throw new MediaError('truncated', `${label} is truncated: incomplete box header at byte ${offset}`);
    }
    const type = header.toString('latin1', 4, 8);
    let boxSize = header.readUInt32BE(0);
    if (boxSize === 1) {
      if (header.length < 16) throw new MediaError('truncated', `${label} is truncated: incomplete box header`);
      boxSize = Number(header.readBigUInt64BE(8));
    } else if (boxSize === 0) {
      boxSize = reader.size - offset; // "extends to the end of the file"
    }
    if (boxSize < 8) throw new MediaError('corrupt', `${label} is corrupt: box '${type}' has invalid size ${boxSize}`);
    if (type === 'moov') sawMovie = true;
    if (offset + boxSize > reader.size) {
      const missing = offset + boxSize - reader.size;
      throw new MediaError('truncated', `${label} is truncated: box '${type}' is missing its last ${missing} bytes`);
    }
    offset += boxSize;
  }
  if (!sawMovie) throw new MediaError('truncated', `${label} is truncated: no 'moov' box (movie header)`);
}

/** Checks that a WebM's Segment, when its size is declared (not "unknown", as in live streams), fits the file. */
export function checkWebmSegment(reader: ByteSource): void {
  const { head } = reader;
  const ebml = readElement(head, 0);
  if (ebml === undefined || ebml.id !== 0x1a45dfa3 || ebml.size === undefined) return; // let ffprobe judge
  const segment = readElement(head, ebml.dataStart + ebml.size);
  if (segment === undefined || segment.id !== 0x18538067 || segment.size === undefined) return;
  const end = segment.dataStart + segment.size;
  if (end > reader.size) {
    throw new MediaError('truncated', `WebM is truncated: segment declares ${end} bytes, file has ${reader.size}`);
  }
}

interface Element {
  id: number;
  /** undefined when the size is the reserved "unknown" value. */
  size: number | undefined;
  dataStart: number;
}

function readElement(bytes: Buffer, offset: number): Element | undefined {
  const id = readVint(bytes, offset, false);
  if (id === undefined) return undefined;
  const size = readVint(bytes, offset + id.length, true);
  if (size === undefined) return undefined;
  return { id: id.value, size: size.unknown ? undefined : size.value, dataStart: offset + id.length + size.length };
}

/** An EBML variable-length integer; IDs keep their length-marker bits, sizes drop them. */
function readVint(
  bytes: Buffer,
  offset: number,
  stripMarker: boolean,
): { value: number; length: number; unknown: boolean } | undefined {
  const first = bytes[offset];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23; // leading zeros within the byte, plus one
  if (offset + length > bytes.length) return undefined;
  let value = stripMarker ? first & (0xff >> length) : first;
  let allOnes = value === 0xff >> length;
  for (let index = 1; index < length; index += 1) {
    const byte = bytes[offset + index] ?? 0;
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value, length, unknown: stripMarker && allOnes };
}
