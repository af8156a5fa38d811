// A JSON value as a jsonb column gives it back, computed here instead of reading it back: the hot
// path answers creates and completions from what the caller sent.
import type { Json } from './repository.ts';

/**
 * A fresh copy of `value` as storing it in jsonb and reading it back yields: what JSON.stringify
 * leaves out (undefined, functions) left out, -0 as 0, and object keys in jsonb's order (shorter
 * keys first, equal lengths by their UTF-8 bytes). Anything that is not plain JSON data (a Date,
 * an object with toJSON, a non-finite number) goes through JSON.stringify first, as writing it does.
 * Typed as its input, which it matches for the JSON data the records hold.
 */
export function asStoredJson<T>(value: T): T {
  return stored(value) as unknown as T;
}

function stored(value: unknown): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) return null;
      return value === 0 ? 0 : value;
    case 'object':
      if (value === null) return null;
      if (Array.isArray(value)) return value.map((item) => (isOmitted(item) ? null : stored(item)));
      if (Object.getPrototypeOf(value) === Object.prototype && !('toJSON' in value)) return storedObject(value as Record<string, unknown>);
      return stored(JSON.parse(JSON.stringify(value)) as unknown);
    default:
      throw new TypeError(`cannot store a ${typeof value} as JSON`);
  }
}

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function storedObject(source: Record<string, unknown>): Record<string, Json> {
  const keys = Object.keys(source);
  if (keys.length > 1) keys.sort(keys.some((key) => nonAscii.test(key)) ? compareUtf8 : compareAscii);
  const copy: Record<string, Json> = {};
  for (const key of keys) {
    const value = source[key];
    if (!isOmitted(value)) copy[key] = stored(value);
  }
  return copy;
}

const nonAscii = /[^\x00-\x7f]/;

/** jsonb's key order: byte length, then bytes; for ASCII keys, JS string length and order. */
function compareAscii(left: string, right: string): number {
  return left.length - right.length || (left < right ? -1 : left > right ? 1 : 0);
}

function compareUtf8(left: string, right: string): number {
  const a = Buffer.from(left, 'utf8');
  const b = Buffer.from(right, 'utf8');
  return a.length - b.length || Buffer.compare(a, b);
}
