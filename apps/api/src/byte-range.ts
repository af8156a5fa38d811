// HTTP Range for asset downloads (RFC 9110 §14): one `bytes=` range is served as a 206; several
// ranges are answered with the whole content (a 200, which the RFC allows) rather than multipart.
import type { ByteRange } from '@mediagate/storage';

/**
 * What to send for a Range header against content of `size` bytes:
 * `full` (no header, a malformed one, several ranges, or a unit other than bytes: all ignored,
 * as the RFC lets a server do), `partial` with the inclusive range, or `unsatisfiable` (416).
 */
export type RangeAnswer = { type: 'full' } | { type: 'partial'; range: ByteRange } | { type: 'unsatisfiable' };

const single = /^bytes=(\d*)-(\d*)$/;

export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { type: 'full' };
  const match = single.exec(header.trim());
  if (match === null) return { type: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { type: 'full' };
  if (first === '') {
    // A suffix: the last N bytes.
    const length = Number(last);
    if (!Number.isSafeInteger(length)) return { type: 'full' };
    if (length === 0 || size === 0) return { type: 'unsatisfiable' };
    return { type: 'partial', range: { start: Math.max(0, size - length), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? Number.MAX_SAFE_INTEGER : Number(last);
  // A last position before the first makes the header invalid, which is ignored, not refused.
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return { type: 'full' };
  if (start >= size) return { type: 'unsatisfiable' };
  return { type: 'partial', range: { start, end: Math.min(end, size - 1) } };
}

/** True when an If-None-Match header names `etag` (or is `*`); weak comparison, as for GET. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === bare;
  });
}
