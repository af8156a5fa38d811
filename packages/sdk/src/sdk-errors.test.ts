// How the SDK fails: the API's error body as MediagateError (status, code, field), no server as
// MediagateConnectionError, a slow answer as a timeout, and the API key on every request.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi, issueApiKey } from '@mediagate/api';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import { Mediagate, MediagateAuthenticationError, MediagateConnectionError, MediagateError, MediagateNotFoundError } from './index.ts';
import { closedPort } from './test-support.ts';

let harness: Harness;
let app: FastifyInstance;
let baseURL: string;
/** The default tenant's key (harness.submit puts jobs there). */
let apiKey: string;

beforeAll(async () => {
  harness = await createHarness({ workers: false });
  app = await buildApi(harness.runtime, { logger: false });
  baseURL = await app.listen({ port: 0, host: '127.0.0.1' });
  apiKey = (await issueApiKey(harness.runtime.repo, { id: 'ten_default' })).key;
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('errors', () => {
  it('surfaces a 400 as MediagateError naming the field', async () => {
    const client = new Mediagate({ baseURL, apiKey });
    const error = await caught(client.jobs.create({ kind: 'image', prompt: 'x', model: 'local/card', params: { width: 10000, height: 512 } }));
    expect(error).toBeInstanceOf(MediagateError);
    expect(error).toMatchObject({ status: 400, code: expect.any(String), field: 'params.width', isRetryable: false });
    expect((error as MediagateError).message).toMatch(/width/);
  });

  it('surfaces a missing job as a 404 MediagateError', async () => {
    const error = await caught(new Mediagate({ baseURL, apiKey }).jobs.get('job_nope'));
    expect(error).toBeInstanceOf(MediagateNotFoundError);
    expect(error).toMatchObject({ name: 'MediagateNotFoundError', status: 404, code: 'not_found' });
  });

  it('throws MediagateConnectionError when nothing listens', async () => {
    const error = await caught(new Mediagate({ baseURL: `http://127.0.0.1:${await closedPort()}` }).providers.list());
    expect(error).toBeInstanceOf(MediagateConnectionError);
    expect((error as MediagateConnectionError).message).toMatch(/ECONNREFUSED/);
  });

  it('gives up on a server that does not answer within timeoutMs', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const error = await caught(new Mediagate({ baseURL: `http://127.0.0.1:${port}`, timeoutMs: 200 }).jobs.get('job_x'));
      expect(error).toBeInstanceOf(MediagateConnectionError);
      expect(error).toMatchObject({ timedOut: true });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('sends the API key as a bearer token and accepts a baseURL ending in /v1', async () => {
    const sent: (string | null)[] = [];
    const client = new Mediagate({
      baseURL: `${baseURL}/v1/`,
      apiKey,
      fetch: (input, init) => {
        sent.push(new Headers(init?.headers).get('authorization'));
        return fetch(input, init);
      },
    });
    await client.providers.list();
    expect(sent).toEqual([`Bearer ${apiKey}`]);
  });

  it('surfaces a missing or unknown key as a 401 MediagateError', async () => {
    for (const options of [{}, { apiKey: 'mg_not-a-real-key' }]) {
      const error = await caught(new Mediagate({ baseURL, ...options }).providers.list());
      expect(error).toBeInstanceOf(MediagateError);
      expect(error).toBeInstanceOf(MediagateAuthenticationError);
      expect(error).toMatchObject({ status: 401, field: 'authorization', isRetryable: false });
    }
  });
});
