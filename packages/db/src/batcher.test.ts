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
      { maxBatch: 3 },
    );
    await Promise.all(Array.from({ length: 8 }, (_, index) => batcher.submit(index)));
    expect(sizes).toEqual([1, 3, 3, 1]);
  });
});

describe('Batcher with parallel statements', () => {
  it('runs up to `parallel` statements at once', async () => {
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const work = async <T>(value: T, size: number): Promise<T> => {
      running += 1;
      most = Math.max(most, running);
      sizes.push(size);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return value;
    };
    const batcher = new Batcher<number, number>(
      (inputs) => work(inputs, inputs.length),
      (input) => work(input, 1),
      { parallel: 2 },
    );
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => batcher.submit(index)));
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).toBe(2);
    expect(sizes).toEqual([1, 1, 8]);
  });
});

describe('Batcher and synchronous throws', () => {
  it('settles every waiter even when a call throws before returning a promise', async () => {
    const batcher = new Batcher<number, number>(
      () => {
        throw new TypeError('cannot encode');
      },
      (input) => {
        if (input === 2) throw new TypeError('cannot encode 2');
        return Promise.resolve(input);
      },
    );
    const results = await Promise.allSettled([1, 2, 3].map((input) => batcher.submit(input)));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
