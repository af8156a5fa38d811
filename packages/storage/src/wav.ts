// Duration of a RIFF/WAVE file read from its `fmt ` and `data` chunk headers, so speech outputs
// are verified without spawning ffprobe.
import type { ByteSource } from './file-reader.ts';
import { MediaError } from './media-info.ts';

/** Streaming writers leave this placeholder when they cannot seek back to fill in the size. */
const unknownSize = 0xffffffff;
const maxChunks = 1_000;

export async function wavDurationMs(reader: ByteSource): Promise<number> {
  const { head, size } = reader;
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') {
    throw new MediaError('corrupt', 'WAV is corrupt: no RIFF/WAVE header');
  }
  let byteRate: number | undefined;
  let offset = 12;
  for (let chunks = 0; chunks < maxChunks && offset + 8 <= size; chunks += 1) {
    const header = await reader.read(offset, 24);
    const id = header.toString('latin1', 0, 4);
    const chunkSize = header.readUInt32LE(4);
    if (id === 'fmt ') {
      if (chunkSize < 16 || header.length < 24) throw new MediaError('corrupt', 'WAV is corrupt: short fmt chunk');
      byteRate = header.readUInt32LE(16);
    } else if (id === 'data') {
      if (byteRate === undefined || byteRate === 0) {
        throw new MediaError('corrupt', 'WAV is corrupt: no valid fmt chunk before the data');
      }
      const available = size - offset - 8;
      const dataSize = chunkSize === unknownSize ? available : chunkSize;
      if (dataSize > available) {
        throw new MediaError('truncated', `WAV is truncated: data chunk declares ${dataSize} bytes, ${available} present`);
      }
      if (dataSize === 0) throw new MediaError('no_content', 'WAV has no audio samples');
      // Whole milliseconds, as ffprobe durations are: the asset record stores an integer.
      return Math.max(1, Math.round((dataSize / byteRate) * 1000));
    }
    offset += 8 + chunkSize + (chunkSize % 2); // chunks are padded to even sizes
  }
  throw new MediaError('truncated', 'WAV is truncated: no data chunk');
}
