// The simulated server and adapter together: real media, the async flow, and every fault
// classified the way the engine will see it.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ffprobePath } from '@mediagate/storage';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PollResult, ProviderAdapter, ProviderOutput } from '../contract.ts';
import { requestBytes } from '../http/request.ts';
import { createSimulatedProvider, startSimulatedServer, type SimulatedServer } from './index.ts';
import { context, pngSize, providerError, simulatedRequest as request, sleep } from './test-helpers.ts';

const run = promisify(execFile);
let server: SimulatedServer;
let provider: ProviderAdapter;
const ctx = context('sk-test');

beforeAll(async () => {
  server = await startSimulatedServer();
  provider = createSimulatedProvider({ baseURL: server.url });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

async function pollUntilDone(operation: unknown, seen: number[] = []): Promise<ProviderOutput[]> {
  for (;;) {
    const result: PollResult = await provider.poll!(operation as never, ctx);
    if (result.status === 'completed') return result.outputs;
    seen.push(result.progress ?? 0);
    await sleep(25);
  }
}

async function download(output: ProviderOutput | undefined): Promise<{ body: Uint8Array; mime: string | undefined }> {
  if (output?.type !== 'url') throw new Error(`expected a url output, got ${output?.type}`);
  return requestBytes(output.url, output.headers ? { headers: output.headers } : {});
}

describe('simulated provider: outputs', () => {
  it('answers a sync image with a real PNG of the asked size', async () => {
    const result = await provider.submit(request('image', 'a red fox', { width: 320, height: 200 }), ctx);
    expect(result.status).toBe('completed');
    const output = result.status === 'completed' ? result.outputs[0] : undefined;
    if (output?.type !== 'bytes') throw new Error('expected bytes');
    expect(output.mime).toBe('image/png');
    const metadata = await sharp(output.data).metadata();
    expect(metadata).toMatchObject({ format: 'png', width: 320, height: 200 });
    await sharp(output.data).raw().toBuffer(); // decodes every pixel
    const square = await provider.submit(request('image', 'default size'), ctx);
    if (square.status !== 'completed' || square.outputs[0]?.type !== 'bytes') throw new Error('expected bytes');
    expect(pngSize(square.outputs[0].data)).toEqual({ width: 512, height: 512 });
  });

  it('gives each prompt and seed its own image bytes, carrying them as the PNG description', async () => {
    const bytesOf = async (prompt: string, seed?: number) => {
      const result = await provider.submit(request('image', prompt, { width: 64, height: 64, ...(seed === undefined ? {} : { seed }) }), ctx);
      const output = result.status === 'completed' ? result.outputs[0] : undefined;
      if (output?.type !== 'bytes') throw new Error('expected bytes');
      return Buffer.from(output.data);
    };
    const fox = await bytesOf('a red fox — à la carte', 7);
    expect(await bytesOf('a red fox — à la carte', 7)).toEqual(fox);
    expect(await bytesOf('a red fox — à la carte', 8)).not.toEqual(fox);
    expect(await bytesOf('a blue fox', 7)).not.toEqual(fox);
    const metadata = await sharp(fox).metadata();
    expect(metadata).toMatchObject({ format: 'png', width: 64, height: 64 });
    expect(metadata.comments).toEqual([{ keyword: 'Description', text: 'a red fox — à la carte\nseed: 7' }]);
    await sharp(fox).raw().toBuffer();
  });

  it('answers speech with a WAV whose length follows the asked duration', async () => {
    const result = await provider.submit(request('speech', 'hello there', { duration: 2, voice: 'nova' }), ctx);
    if (result.status !== 'completed' || result.outputs[0]?.type !== 'bytes') throw new Error('expected bytes');
    const wav = Buffer.from(result.outputs[0].data);
    expect(wav.toString('latin1', 0, 4) + wav.toString('latin1', 8, 12)).toBe('RIFFWAVE');
    expect(wav.readUInt32LE(40) / wav.readUInt32LE(28)).toBe(2); // data bytes / byte rate = seconds
  });

  it('runs an async image: submit, poll with rising progress, download the PNG', async () => {
    const submitted = await provider.submit(request('image-async', 'slow', { width: 256, height: 128, simulate: { latency_ms: 800, progress_steps: 4 } }), ctx);
    expect(submitted).toEqual({ status: 'pending', operation: { id: expect.stringMatching(/^op_/) } });
    const seen: number[] = [];
    const outputs = await pollUntilDone(submitted.status === 'pending' ? submitted.operation : null, seen);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBeGreaterThanOrEqual(3);
    const { body, mime } = await download(outputs[0]);
    expect(mime).toBe('image/png');
    expect(pngSize(body)).toEqual({ width: 256, height: 128 });
    expect(server.stats()).toMatchObject({ submits: 1, completed: 1, downloads: 1, operations: { created: 1, succeeded: 1 } });
  });

  it('renders an async video as a real MP4 of the asked size and length', async () => {
    const submitted = await provider.submit(request('video', 'waves', { width: 160, height: 90, duration: 2 }), ctx);
    const { body, mime } = await download((await pollUntilDone(submitted.status === 'pending' ? submitted.operation : null))[0]);
    expect(mime).toBe('video/mp4');
    const dir = await mkdtemp(join(tmpdir(), 'simulated-test-'));
    await writeFile(`${dir}/out.mp4`, body);
    const { stdout } = await run(ffprobePath(), ['-v', 'error', '-show_entries', 'stream=width,height:format=duration', '-of', 'json', `${dir}/out.mp4`]);
    await rm(dir, { recursive: true, force: true });
    const info = JSON.parse(stdout) as { streams: { width: number; height: number }[]; format: { duration: string } };
    expect(info.streams[0]).toEqual({ width: 160, height: 90 });
    expect(Number(info.format.duration)).toBeCloseTo(2, 0);
  });

  it('cancels an async operation', async () => {
    const submitted = await provider.submit(request('image-async', 'long', { simulate: { latency_ms: 60_000 } }), ctx);
    const operation = submitted.status === 'pending' ? submitted.operation : null;
    await provider.cancel!(operation, ctx);
    expect((await providerError(provider.poll!(operation, ctx))).errorClass).toBe('canceled');
    expect(server.stats()).toMatchObject({ cancels: 1, operations: { canceled: 1 }, byKey: { 'sk-test': { inFlight: 0 } } });
  });
});

describe('simulated provider: faults', () => {
  const fault = (model: string, name: string, extra: object = {}) =>
    request(model, `fault ${name} ${model}`, { simulate: { fault: name, ...extra } });

  it('classifies each submit fault through the adapter', async () => {
    expect((await providerError(provider.submit(fault('image', '500'), ctx))).errorClass).toBe('server');
    expect((await providerError(provider.submit(fault('image', 'malformed'), ctx))).errorClass).toBe('malformed');
    expect((await providerError(provider.submit(fault('image-async', 'malformed'), ctx))).errorClass).toBe('malformed');
    expect((await providerError(provider.submit(fault('image', 'content_policy'), ctx))).errorClass).toBe('content_policy');
    expect((await providerError(provider.submit(fault('speech', 'auth'), ctx))).errorClass).toBe('auth');
    for (const model of ['image', 'image-async']) {
      const truncated = await providerError(provider.submit(fault(model, 'truncated'), ctx));
      expect(truncated.errorClass).toBe('network');
      expect(truncated.message).toContain('truncated');
    }
    const limited = await providerError(provider.submit(fault('image', 'rate_limit'), ctx));
    expect(limited).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 1000, status: 429 });
    expect(server.stats()).toMatchObject({ submits: 8, faults: 8, completed: 0, rateLimited: 1 });
  });

  it('times out on the timeout fault, and frees the slot when the client gives up', async () => {
    const quick = createSimulatedProvider({ baseURL: server.url, requestTimeoutMs: 150 });
    expect((await providerError(quick.submit(fault('image', 'timeout'), ctx))).errorClass).toBe('timeout');
    const attempt = new AbortController();
    setTimeout(() => attempt.abort(new DOMException('attempt timeout', 'TimeoutError')), 100);
    expect((await providerError(provider.submit(fault('image-async', 'timeout'), context('sk-test', attempt.signal)))).errorClass).toBe('timeout');
    const canceled = new AbortController();
    setTimeout(() => canceled.abort(), 100);
    expect((await providerError(provider.submit(fault('image', 'timeout'), context('sk-test', canceled.signal)))).errorClass).toBe('canceled');
    await sleep(50);
    expect(server.stats().byKey['sk-test']).toMatchObject({ inFlight: 0, accepted: 3 });
  });

  it('fails async operations with a classified error', async () => {
    for (const [name, errorClass] of [['fail_async', 'server'], ['content_policy_async', 'content_policy']] as const) {
      const submitted = await provider.submit(fault('video', name, { latency_ms: 50 }), ctx);
      expect(submitted.status).toBe('pending');
      const error = await providerError(pollUntilDone(submitted.status === 'pending' ? submitted.operation : null));
      expect(error.errorClass).toBe(errorClass);
    }
    expect(server.stats().operations).toEqual({ created: 2, succeeded: 0, failed: 2, canceled: 0 });
  });

  it('recovers after fault_times failures of the same prompt', async () => {
    const flaky = request('image', 'flaky prompt', { simulate: { fault: '500', fault_times: 2 } });
    expect((await providerError(provider.submit(flaky, ctx))).errorClass).toBe('server');
    expect((await providerError(provider.submit(flaky, ctx))).errorClass).toBe('server');
    expect((await provider.submit(flaky, ctx)).status).toBe('completed');
    expect((await provider.submit(flaky, ctx)).status).toBe('completed');
    expect(server.stats()).toMatchObject({ submits: 4, faults: 2, completed: 2, byPrompt: { 'flaky prompt': 4 } });
  });

  it('rejects an unknown fault name before sending anything', () => {
    expect(() => provider.validate!(request('image', 'x', { simulate: { fault: 'explode' } }))).toThrow(/params\.simulate\.fault/);
  });
});
