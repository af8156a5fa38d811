// Identifiers: a short type prefix plus a ULID, so ids sort by creation time and say what they are.
import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

export type IdPrefix = 'job' | 'att' | 'ast' | 'ten' | 'key' | 'pk' | 'evt' | 'upl';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${nextUlid().toLowerCase()}`;
}
