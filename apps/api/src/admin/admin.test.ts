// The queue board at /admin/queues through app.inject() against a real runtime with workers off:
// off without a key, the admin key by Bearer or Basic, every provider queue listed with its entries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { queueName } from '@mediagate/engine';
import { createHarness, type Harness } from '../../../../test/support/harness.ts';
import { buildApi } from '../index.ts';

const adminKey = 'test-admin-key-0123456789';
const bearer = { authorization: `Bearer ${adminKey}` };
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

interface BoardQueue {
  name: string;
  displayName?: string;
  readOnlyMode: boolean;
  counts: Record<string, number>;
  jobs: { id: string; data: { jobId: string } }[];
}

let harness: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  harness = await createHarness({ workers: false });
  app = await buildApi(harness.runtime, { logger: false, adminKey });
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

describe('without an admin key', () => {
  it('answers 404 saying to set MEDIAGATE_ADMIN_KEY, and leaves the rest of the API alone', async () => {
    const off = await buildApi(harness.runtime, { logger: false, adminKey: '' });
    try {
      for (const url of ['/admin/queues', '/admin/queues/api/queues']) {
        const response = await off.inject({ method: 'GET', url, headers: bearer });
        expect(response.statusCode, url).toBe(404);
        expect(response.json<{ error: { code: string; message: string } }>().error.message).toContain('MEDIAGATE_ADMIN_KEY');
      }
      expect((await off.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await off.close();
    }
  });
});

describe('with an admin key', () => {
  it('asks for credentials with a Basic challenge when none or wrong ones are sent', async () => {
    const attempts = [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${adminKey}x` }, basic('admin', 'wrong'), { authorization: 'Token abc' }];
    for (const headers of attempts) {
      for (const url of ['/admin/queues', '/admin/queues/api/queues']) {
        const response = await app.inject({ method: 'GET', url, headers });
        expect(response.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.headers['www-authenticate']).toMatch(/^Basic realm="mediagate admin"/);
        expect(response.json<{ error: { code: string } }>().error.code).toBe('unauthorized');
      }
    }
  });

  it('serves the board to the right bearer key or Basic with the key as password, loading nothing remote', async () => {
    for (const headers of [bearer, basic('admin', adminKey), basic('', adminKey)]) {
      const response = await app.inject({ method: 'GET', url: '/admin/queues', headers });
      expect(response.statusCode, JSON.stringify(headers)).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toContain('<base href="/admin/queues/"');
      expect(response.body).not.toMatch(/(?:href|src)="https?:/);
    }
    const script = /src="(static\/js\/[^"]+)"/.exec((await app.inject({ method: 'GET', url: '/admin/queues', headers: bearer })).body)?.[1];
    expect(script).toBeDefined();
    expect((await app.inject({ method: 'GET', url: `/admin/queues/${script}` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: `/admin/queues/${script}`, headers: bearer })).statusCode).toBe(200);
  });

  it('lists every provider queue read-only, with a submitted job waiting in its queue', async () => {
    const list = async (activeQueue: string) => {
      const response = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', query: { activeQueue, status: 'latest', page: '1', jobsPerPage: '50' }, headers: bearer });
      expect(response.statusCode).toBe(200);
      return response.json<{ queues: BoardQueue[] }>().queues;
    };
    const prefix = harness.runtime.queues.prefix;
    const simulated = queueName(prefix, 'simulated');
    const before = await list(simulated);
    const providers = harness.runtime.providers.list().map((adapter) => adapter.id);
    expect(before.map((queue) => queue.name).sort()).toEqual(providers.map((provider) => queueName(prefix, provider)).sort());
    expect(before.map((queue) => queue.displayName).sort()).toEqual([...providers].sort());
    expect(before.every((queue) => queue.readOnlyMode)).toBe(true);

    const job = await harness.submit({ kind: 'image', prompt: 'Board', model: 'simulated/image', params: { width: 64, height: 64 } });
    const after = (await list(simulated)).find((queue) => queue.name === simulated);
    expect(after?.jobs.map((entry) => entry.data.jobId)).toContain(job.id);
    expect(after?.jobs.find((entry) => entry.data.jobId === job.id)?.id).toBe(job.id);

    // Read-only: the board cannot change a queue behind the API's back.
    const clean = await app.inject({ method: 'PUT', url: `/admin/queues/api/queues/${encodeURIComponent(simulated)}/${job.id}/clean`, headers: bearer });
    expect(clean.statusCode).toBe(405);
    expect(await harness.runtime.queues.queue('simulated').getJob(job.id)).toBeDefined();
  });

  it('keeps the board out of /openapi.json', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/admin'))).toEqual([]);
    expect(Object.keys(document.paths)).toContain('/v1/jobs');
  });
});
