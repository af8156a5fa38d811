// Seeded fuzzing of POST /v1/jobs: malformed JSON, wrong types, deep nesting, huge strings,
// random bytes and headers must never produce a 5xx, and every refusal is the one error shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import { buildApi } from './index.ts';
import { isErrorBody, sideEffects } from './test-support.ts';

// FUZZ_SEED=<n> replays a run; FUZZ_CASES=<n> runs longer.
const seed = Number(process.env.FUZZ_SEED ?? 20261121);
const caseCount = Number(process.env.FUZZ_CASES ?? 1200);

/** mulberry32: small, fast and good enough to explore inputs reproducibly. */
function prng(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class Generator {
  readonly #random: () => number;
  constructor(random: () => number) {
    this.#random = random;
  }

  int(max: number): number {
    return Math.floor(this.#random() * max);
  }

  chance(probability: number): boolean {
    return this.#random() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  string(maxLength = 40): string {
    const pool = ['a', 'Z', '7', ' ', '/', ':', '"', '\\', '\n', '\u0000', '\ud800', '\udc00', '😀', '\u202e', 'é', '{', '%', '<'];
    let out = '';
    const length = this.int(maxLength + 1);
    for (let index = 0; index < length; index++) out += this.pick(pool);
    return out;
  }

  hugeString(): string {
    return this.pick(['x', 'é', '😀', '\\']).repeat(1 + this.int(1024 * 1024));
  }

  number(): number {
    return this.pick([0, -1, 1.5, 64, 4096, 4097, 1e308, -1e308, 2 ** 53 + 1, Number.MIN_VALUE, this.int(100000) - 50000]);
  }

  json(depth = 3): Json {
    const choice = this.int(depth > 0 ? 7 : 5);
    if (choice === 0) return null;
    if (choice === 1) return this.chance(0.5);
    if (choice === 2) return this.number();
    if (choice === 3 || choice === 4) return this.string();
    if (choice === 5) return Array.from({ length: this.int(4) }, () => this.json(depth - 1));
    const object: { [key: string]: Json } = {};
    for (let index = this.int(4); index > 0; index--) object[this.string(8)] = this.json(depth - 1);
    return object;
  }

  bytes(maxLength = 256): Buffer {
    return Buffer.from(Array.from({ length: this.int(maxLength + 1) }, () => this.int(256)));
  }
}

interface FuzzCase {
  label: string;
  request: InjectOptions;
}

const fields = ['kind', 'prompt', 'model', 'fallbacks', 'params', 'image_asset_ids', 'priority', 'metadata'] as const;
const paramNames = ['width', 'height', 'aspect_ratio', 'format', 'seed', 'n', 'duration', 'fps', 'motion', 'voice', 'speed', 'colors', 'simulate', 'theme'];
const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json;;;',
  'text/plain',
  'text/html',
  'image/png',
  'application/octet-stream',
  'multipart/form-data; boundary=xyz',
  'application/x-www-form-urlencoded',
  'application/problem+json',
  '*/*',
  'json',
  ';',
];

function baseRequest(gen: Generator): Record<string, Json> {
  return {
    kind: gen.pick(['image', 'video', 'speech']),
    prompt: 'fuzz',
    model: gen.pick(['simulated/image', 'simulated/video', 'local/card', 'local/tts']),
    params: { width: 256, height: 256 },
  };
}

/** A valid-looking request with one or more fields broken: wrong types, values, nesting. */
function mutated(gen: Generator): Json {
  const request = baseRequest(gen);
  for (let count = 1 + gen.int(3); count > 0; count--) {
    const move = gen.int(7);
    if (move === 0) delete request[gen.pick(fields)];
    // Well-formed but odd text (NUL, lone surrogates, bidi marks) that may get as far as the database.
    else if (move === 6) Object.assign(request, gen.chance(0.5) ? { prompt: `fuzz ${gen.string()}` } : { metadata: { note: gen.string() } });
    else if (move === 1) request[gen.pick(fields)] = gen.json();
    else if (move === 2) request[gen.string(12)] = gen.json();
    else if (move === 3) request.params = { ...(request.params as object), [gen.pick(paramNames)]: gen.json(2) };
    else if (move === 4) request.metadata = { [gen.string(10)]: gen.json(1) };
    else request[gen.pick(fields)] = gen.hugeString();
  }
  return request;
}

function deeplyNested(gen: Generator): string {
  const depth = 1 + gen.int(gen.chance(0.2) ? 200_000 : 2_000);
  const [open, close] = gen.chance(0.5) ? ['[', ']'] : ['{"a":', '}'];
  const inner = `${open.repeat(depth)}1${close.repeat(depth)}`;
  return gen.pick([
    inner,
    `{"kind":"image","prompt":"x","params":${inner}}`,
    `{"kind":"image","prompt":"x","metadata":{"k":${inner}}}`,
    `{"kind":"image","prompt":"x","params":{"colors":${inner}}}`,
  ]);
}

function brokenJson(gen: Generator): string {
  const valid = JSON.stringify(baseRequest(gen));
  return gen.pick([
    valid.slice(0, gen.int(valid.length)),
    valid.replace(':', ''),
    `${valid}${valid}`,
    `{"__proto__":{"polluted":true},"kind":"image","prompt":"x"}`,
    `{"constructor":{"prototype":{"polluted":true}},"kind":"image","prompt":"x"}`,
    `{"kind":"image","prompt":"x","kind":"video"}`,
    "{'kind':'image'}",
    'NaN',
    '{"kind":"image","prompt":"x","params":{"width":1e999}}',
    `"${gen.string(30)}"`,
    gen.string(60),
  ]);
}

function headers(gen: Generator, contentType: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (contentType !== undefined) out['content-type'] = contentType;
  if (gen.chance(0.1)) out['content-encoding'] = gen.pick(['gzip', 'br', 'identity', 'x-nope']);
  if (gen.chance(0.1)) out.accept = gen.pick(['text/html', 'application/xml', '*/*', 'image/png']);
  if (gen.chance(0.05)) out['content-length'] = String(gen.int(1000));
  return out;
}

function nextCase(gen: Generator, index: number): FuzzCase {
  const jsonType = gen.chance(0.85) ? 'application/json' : gen.pick(contentTypes);
  const kind = index % 6;
  if (kind === 0 || kind === 1) {
    const body = mutated(gen);
    return { label: 'mutated request', request: { payload: JSON.stringify(body), headers: headers(gen, jsonType) } };
  }
  if (kind === 2) {
    return { label: 'random JSON value', request: { payload: JSON.stringify(gen.json(4)), headers: headers(gen, jsonType) } };
  }
  if (kind === 3) return { label: 'deep nesting', request: { payload: deeplyNested(gen), headers: headers(gen, jsonType) } };
  if (kind === 4) return { label: 'broken JSON', request: { payload: brokenJson(gen), headers: headers(gen, jsonType) } };
  const contentType = gen.chance(0.15) ? undefined : gen.pick(contentTypes);
  return { label: 'random bytes', request: { payload: gen.bytes(gen.chance(0.05) ? 700_000 : 512), headers: headers(gen, contentType) } };
}

let harness: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  // No workers: a request that happens to be valid is only queued, never run.
  harness = await createHarness({ workers: false });
  app = await buildApi(harness.runtime, { logger: false, bodyLimit: 512 * 1024 });
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

describe('fuzzing POST /v1/jobs', () => {
  it(`never answers 5xx and always the error shape (seed ${seed}, ${caseCount} cases)`, async () => {
    const gen = new Generator(prng(seed));
    const before = await sideEffects(harness);
    const failures: string[] = [];
    const codes = new Set<string>();
    let created = 0;
    for (let index = 0; index < caseCount; index++) {
      const { label, request } = nextCase(gen, index);
      const response = await app.inject({ ...request, method: 'POST', url: '/v1/jobs' });
      const where = `case ${index} (${label}, seed ${seed}): ${response.statusCode} ${response.body.slice(0, 200)}`;
      if (response.statusCode === 201) {
        created++;
        continue;
      }
      let body: unknown;
      try {
        body = JSON.parse(response.body);
      } catch {
        body = undefined;
      }
      if (response.statusCode < 400 || response.statusCode >= 500 || !isErrorBody(body)) failures.push(where);
      else if (!String(response.headers['content-type']).startsWith('application/json')) failures.push(`${where} (content-type)`);
      else codes.add(body.error.code);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    // Only the requests answered 201 left a job; nothing reached a provider.
    expect(await sideEffects(harness)).toEqual({ jobs: before.jobs + created, submits: before.submits });
    // The mix reached every kind of refusal, not one of them over and over.
    expect([...codes].sort()).toEqual(expect.arrayContaining(['invalid_json', 'invalid_request', 'payload_too_large', 'unsupported_media_type']));
    expect(created).toBeGreaterThan(0);
  });
});
