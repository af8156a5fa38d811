// Seeded randomness for the card renderer: the same request must give the same bytes, so every
// "random" choice (gradient angle, shapes, motif) comes from a PRNG seeded by the seed or prompt.
import { seededRandom } from '@mediagate/core';

/** FNV-1a over UTF-16 code units: cheap, stable across platforms, good enough to seed a PRNG. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** A float in [min, max). */
  range(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

/** Choices for one card, from the shared seeded generator. */
export function createRandom(seed: number): Random {
  const next = seededRandom(seed);
  return {
    next,
    range: (min, max) => min + (max - min) * next(),
    pick: (items) => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
  };
}
