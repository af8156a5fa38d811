import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.ts';

describe('Batcher', () => {
  it('sends the first call alone and groups the calls that arrive meanwhile', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(
      async (inputs) => {
        batches.push(inputs);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return inputs.map((input) => input * 2);
      },
      async (input) => {
        batches.push([input]);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return input * 2;
      },
    );
    const results = await Promise.all([1, 2, 3, 4, 5].map((input) => batcher.submit(input)));
    expect(results).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('answers each input alone when a batch fails, so only the bad one rejects', async () => {
    const batcher = new Batcher<number, number>(
      async () => {
        throw new Error('batch failed');
      },
      async (input) => {
        if (input === 3) throw new Error('bad input');
        return input;
      },
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map((input) => batcher.submit(input)));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  });

  it('caps the batch size', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>(
      async (inputs) => {
        sizes.push(inputs.length);
        return inputs;
      },
      async (input) => {
        sizes.push(1);
        return input;
      },
      3,
    );
    await Promise.all(Array.from({ length: 8 }, (_, index) => batcher.submit(index)));
    expect(sizes).toEqual([1, 3, 3, 1]);
  });
});
