// Reads the length of a PCM WAV held in memory from its `fmt ` and `data` chunks, so speech
// length is known without probing (motion needs it to fit the video around its narration).

/** Milliseconds of audio in `wav`; throws when the bytes are not a RIFF/WAVE file with data. */
export function wavDurationMs(wav: Uint8Array): number {
  const bytes = Buffer.from(wav.buffer, wav.byteOffset, wav.byteLength);
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let byteRate = 0;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 20 <= bytes.length) byteRate = bytes.readUInt32LE(offset + 16);
    if (id === 'data') {
      if (byteRate === 0) throw new Error('WAV has no fmt chunk before its data');
      // A streaming writer may leave the size unfilled; what is present is what plays.
      const available = bytes.length - offset - 8;
      return (Math.min(size, available) / byteRate) * 1000;
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error('WAV has no data chunk');
}
