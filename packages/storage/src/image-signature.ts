// The image formats providers return most, recognized from their first bytes by the rules
// file-type applies to them, without its general detection (a tokenizer and a 4 KiB buffer per call).
import type { ImageFormat } from './image-structure.ts';

const ascii = (text: string): number[] => Array.from(text, (character) => character.charCodeAt(0));
const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const jpeg = [0xff, 0xd8, 0xff];
const gif = ascii('GIF');
const riff = ascii('RIFF');
const webp = ascii('WEBP');
/** JPEG-LS shares JPEG's first three bytes; file-type names it apart. */
const jpegLsMarker = 0xf7;

function startsWith(head: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  if (head.length < offset + bytes.length) return false;
  for (let index = 0; index < bytes.length; index += 1) if (head[offset + index] !== bytes[index]) return false;
  return true;
}

/**
 * A PNG as file-type recognizes one: an IHDR chunk of 13 bytes first, then chunks up to the first
 * image data (IDAT) or animation control (acTL, APNG, still a PNG). Undefined when the walk leaves
 * `head` or meets anything file-type might judge otherwise.
 */
function isPng(head: Buffer): boolean | undefined {
  let offset = png.length;
  for (let chunks = 0; offset + 8 <= head.length && chunks < 64; chunks += 1) {
    const length = head.readInt32BE(offset);
    const type = head.toString('latin1', offset + 4, offset + 8);
    if (length < 0 || (chunks === 0 && (type !== 'IHDR' || length !== 13))) return undefined;
    if (type === 'IDAT' || type === 'acTL') return true;
    offset += 12 + length;
  }
  return undefined;
}

/**
 * PNG, JPEG, GIF or WebP when `head` (a file's first bytes) is one by its signature; undefined
 * when it is none of them or only file-type can tell.
 */
export function imageSignature(head: Buffer): ImageFormat | undefined {
  if (startsWith(head, png)) return isPng(head) ? 'png' : undefined;
  if (startsWith(head, jpeg)) return head.length > 3 && head[3] !== jpegLsMarker ? 'jpeg' : undefined;
  if (startsWith(head, gif)) return 'gif';
  if (startsWith(head, riff) && startsWith(head, webp, 8)) return 'webp';
  return undefined;
}
