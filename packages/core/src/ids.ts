// Identifiers: a short type prefix plus a ULID, so ids sort by creation time and say what they are.
import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

// ulid's default source asks the OS for one random byte per character; drawing from a pooled
// buffer keeps id generation off the hot path's profile.
let pool = randomBytes(4096);
let offset = 0;
function pooledRandom(): number {
  if (offset >= pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  return (pool[offset++] ?? 0) / 256;
}

const nextUlid = monotonicFactory(pooledRandom);

export type IdPrefix = 'job' | 'att' | 'ast' | 'ten' | 'key' | 'pk' | 'evt' | 'upl' | 'bat';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid().toLowerCase()}`;
}
