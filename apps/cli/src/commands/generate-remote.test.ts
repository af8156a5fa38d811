// `generate --server` against a server that answers a fan-out route: the command says which jobs
// the server started and how to follow them, instead of following a job that does not exist.
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../client.ts';
import { FanOutStartedError, generateRemote } from './generate-remote.ts';

describe('generate --server', () => {
  it('names the jobs a fan-out route started and their batch, and follows none of them', async () => {
    const calls: string[] = [];
    const client = {
      async request(method: string, path: string) {
        calls.push(`${method} ${path}`);
        return {
          object: 'fan_out',
          batch_id: 'bat_1',
          route: 'ab',
          jobs: [
            { id: 'job_a', target: 'simulated/image', status: 'running' },
            { id: 'job_b', target: 'local/card', status: 'queued' },
          ],
        };
      },
      async raw(method: string, path: string) {
        calls.push(`${method} ${path}`);
        return new Response(null, { status: 204 });
      },
    } as unknown as ApiClient;
    let stopped = false;
    const run = generateRemote(client, { kind: 'image', prompt: 'both', model: 'ab' }, {}, { update() {}, stop: () => (stopped = true) });
    await expect(run).rejects.toBeInstanceOf(FanOutStartedError);
    await expect(run).rejects.toThrow(
      'model: "ab" is a fan-out route: the server started 2 jobs, one per target (job_a on simulated/image, job_b on local/card), ' +
        'and they go on there; generate follows one job, so follow these with GET /v1/jobs?batch_id=bat_1',
    );
    expect(calls).toEqual(['POST /v1/jobs']);
    expect(stopped).toBe(true);
  });
});
