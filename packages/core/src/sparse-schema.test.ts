import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { seededRandom } from './random.ts';
import { generationParamsSchema, generationRequestSchema } from './request.ts';
import { sparseSchema } from './sparse-schema.ts';

const random = seededRandom(7);
const int = (max: number) => Math.floor(random() * max);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

const strings = ['', 'a', 'x'.repeat(300), 'image', 'video', 'simulated/image', 'fast', 'png', '\u0000', '\ud800', 'https://example.com/a.png', 'ftp://x', '#fff', '16:9', 'zoom-in'];
const scalar = (): unknown => pick([() => pick(strings), () => int(5000) - 10, () => random(), () => null, () => true, () => [pick(strings)], () => ({}), () => ({ a: 1 })])();
const paramKeys = [...Object.keys(generationParamsSchema.shape), 'bogus'];
const requestKeys = [...Object.keys(generationRequestSchema.shape), 'extra'];

function randomParams(): unknown {
  if (random() < 0.1) return scalar();
  const params: Record<string, unknown> = {};
  for (let count = int(5); count > 0; count--) {
    const key = pick(paramKeys);
    params[key] = key === 'simulate' && random() < 0.7 ? { latency_ms: int(10) } : key === 'colors' && random() < 0.7 ? { background: pick(strings) } : scalar();
  }
  return params;
}

function randomRequest(): unknown {
  if (random() < 0.05) return scalar();
  const request: Record<string, unknown> = {};
  if (random() < 0.9) request.kind = pick(['image', 'video', 'speech', 'nope', 3]);
  if (random() < 0.9) request.prompt = pick(strings);
  for (let count = int(4); count > 0; count--) {
    const key = pick(requestKeys);
    request[key] = key === 'params' ? randomParams() : scalar();
  }
  return request;
}

function outcome(schema: z.ZodType, value: unknown): unknown {
  const result = schema.safeParse(value);
  return result.success ? { data: result.data } : { issues: result.error.issues };
}

describe('sparseSchema', () => {
  it('parses every input exactly as the whole schema does: same output, same issues in the same order', () => {
    let narrowed = 0;
    for (let index = 0; index < 5000; index++) {
      const input = randomRequest();
      const sparse = sparseSchema(generationRequestSchema, input);
      if (sparse !== generationRequestSchema) narrowed += 1;
      const expected = outcome(generationRequestSchema, input);
      const actual = outcome(sparse, input);
      if (!isDeepStrictEqual(actual, expected)) expect({ input, actual }).toEqual({ input, actual: expected });
    }
    expect(narrowed).toBeGreaterThan(1000);
  });

  it('leaves out only absent optional keys, and keeps defaults and required keys', () => {
    const schema = z.object({ a: z.string(), b: z.number().optional(), c: z.object({ d: z.string().optional(), e: z.number().default(1) }).default({ e: 2 }) }).strict();
    const sparse = sparseSchema(schema, { a: 'x' });
    expect(Object.keys(sparse.shape)).toEqual(['a', 'c']);
    expect(sparse.parse({ a: 'x' })).toEqual({ a: 'x', c: { e: 2 } });
    expect(Object.keys(sparseSchema(schema, { c: { d: 'y' } }).shape)).toEqual(['a', 'c']);
    expect(outcome(sparseSchema(schema, { c: { d: 'y' } }), { c: { d: 'y' } })).toEqual(outcome(schema, { c: { d: 'y' } }));
  });

  it('uses the whole schema for unknown keys, non-objects and objects with refinements', () => {
    const schema = z.object({ a: z.string().optional() }).strict();
    expect(sparseSchema(schema, { a: 'x', z: 1 })).toBe(schema);
    expect(sparseSchema(schema, [1])).toBe(schema);
    expect(sparseSchema(schema, 'text')).toBe(schema);
    const refined = z.object({ a: z.string().optional() }).refine(() => true);
    expect(sparseSchema(refined, {})).toBe(refined);
  });
});
